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

# The channels a role may record as a case's source (``cases.services.SOURCE_PERMISSIONS``).
_FIELD_SOURCES = [
    "cases.record_source_grid_worker",
    "cases.record_source_patrol",
    "cases.record_source_walk_in",
    "cases.record_source_hotline",
]
_POLICE = _FIELD + _FIELD_SOURCES + ["cases.record_source_transfer_110"]

ROLE_PERMISSIONS = {
    "grid_worker": _FIELD + _FIELD_SOURCES,
    "community_officer": _POLICE + ["cases.view_figures"],
    "auxiliary_officer": _POLICE,
    "police_assistant": _POLICE,
    "mediator": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "lawyer": ["cases.view_case", "cases.claim_case", "cases.handle_case"],
    "volunteer": [
        "cases.view_case",
        "cases.claim_case",
        "cases.handle_case",
        "cases.record_source_patrol",
    ],
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
        "cases.record_source_grid_worker",
        "cases.record_source_walk_in",
        "cases.record_source_hotline",
        "cases.record_source_transfer_110",
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

# Groups that are not roles get these permissions added (created if missing; what an administrator
# gave them besides is kept): the integration accounts of ``fengqiao apikey create`` without a role
# record hotline, 110 transfers and assistant hand-offs (when also given ``cases.add_case``).
GROUP_PERMISSIONS = {
    "integration": [
        "cases.record_source_hotline",
        "cases.record_source_transfer_110",
        "cases.record_source_assistant",
    ],
}
