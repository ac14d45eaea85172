"""What each role may do with cases (merged into the role groups by ``org.roles.sync_roles``)."""

_FIELD = [
    "cases.view_case",
    "cases.add_case",
    "cases.claim_case",
    "cases.handle_case",
    "cases.verify_case",
    "cases.close_case",
    "cases.return_visit_case",
]

ROLE_PERMISSIONS = {
    "grid_worker": _FIELD,
    "community_officer": _FIELD + ["cases.view_figures"],
    "auxiliary_officer": _FIELD,
    "police_assistant": _FIELD,
    "mediator": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "lawyer": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "volunteer": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "department_staff": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "dispatcher": [
        "cases.view_case",
        "cases.add_case",
        "cases.accept_case",
        "cases.dispatch_case",
        "cases.supervise_case",
        "cases.approve_extension",
        "cases.verify_case",
        "cases.close_case",
        "cases.return_visit_case",
        "cases.view_figures",
        "cases.view_supervisioncard",
    ],
    "leader": [
        "cases.view_case",
        "cases.supervise_case",
        "cases.approve_extension",
        "cases.view_figures",
        "cases.view_supervisioncard",
    ],
    # 三员分立: the system administrator keeps the reference data (categories and their deadline
    # rules, dispatch rules, the holiday calendar) on the settings pages; no business records.
    "system_admin": [
        f"cases.{verb}_{model}"
        for model in ("category", "dispatchrule", "holiday")
        for verb in ("add", "change", "view", "delete")
        if not (model == "category" and verb == "delete")
    ],
}
