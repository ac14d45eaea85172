"""What each role may do in the command centre (merged into the role groups by ``sync_roles``).

The figures themselves follow the domain permissions (``cases.view_figures``,
``disputes.view_dispute_figures``); these add the map and the exports."""

_VIEW = [
    "insights.view_command_centre",
    "insights.export_figures",
    "insights.view_alert",
    "insights.view_alertimport",
]
_IMPORT = ["insights.import_alerts"]
_EVALUATE = ["insights.view_evaluation"]
_WEIGHTS = ["insights.view_indicatorweight", "insights.change_indicatorweight"]
# 无案村: read (officers, dispatchers, leaders), evaluate and nominate (dispatcher, leader),
# confirm (leader); the criteria are county-wide reference data kept by the system administrator.
_VILLAGES = ["insights.view_villagestatus", "insights.view_villagecriterion"]
_NOMINATE = ["insights.evaluate_villagestatus", "insights.nominate_villagestatus"]
_CONFIRM = ["insights.confirm_villagestatus"]

ROLE_PERMISSIONS = {
    "community_officer": _VIEW + _EVALUATE + _VILLAGES,
    "dispatcher": _VIEW + _IMPORT + _EVALUATE + _VILLAGES + _NOMINATE,
    "leader": _VIEW + _IMPORT + _EVALUATE + _WEIGHTS + _VILLAGES + _NOMINATE + _CONFIRM,
    "system_admin": [
        "insights.add_villagecriterion",
        "insights.change_villagecriterion",
        "insights.view_villagecriterion",
    ],
}
