"""What each role may do with risks (merged into the role groups by ``org.roles.sync_roles``).

Risk data is sensitive: grid workers, auxiliary officers, mediators, lawyers and volunteers see
none of it; department staff see only what was handed over to their department."""

_VIEW = ["risks.view_risk", "risks.view_riskcategory"]
_OFFICER = _VIEW + [
    "risks.apply_risk",
    "risks.propose_level",
    "risks.log_task_force",
    "risks.request_close",
    "risks.manage_suggestion",
]

ROLE_PERMISSIONS = {
    "community_officer": _OFFICER,
    "police_assistant": _OFFICER,
    "dispatcher": _OFFICER
    + [
        "risks.file_risk",
        "risks.run_review",
        "risks.hand_over",
        "risks.manage_task_force",
        "risks.view_risk_figures",
    ],
    "leader": _OFFICER
    + [
        "risks.review_risk",
        "risks.file_risk",
        "risks.approve_level",
        "risks.run_review",
        "risks.set_wartime",
        "risks.hand_over",
        "risks.manage_task_force",
        "risks.view_risk_figures",
    ],
    "department_staff": ["risks.view_risk", "risks.handle_handover"],
    # Reference data: the categories.
    "system_admin": [
        "risks.add_riskcategory",
        "risks.change_riskcategory",
        "risks.view_riskcategory",
    ],
}
