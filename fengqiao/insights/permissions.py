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

ROLE_PERMISSIONS = {
    "community_officer": _VIEW + _EVALUATE,
    "dispatcher": _VIEW + _IMPORT + _EVALUATE,
    "leader": _VIEW + _IMPORT + _EVALUATE + _WEIGHTS,
}
