"""What each role may do with disputes (merged into the role groups by ``org.roles.sync_roles``)."""

_VIEW = ["disputes.view_dispute", "disputes.view_mediatorpoolmember"]

ROLE_PERMISSIONS = {
    "grid_worker": _VIEW + ["disputes.register_dispute"],
    "community_officer": _VIEW
    + [
        "disputes.register_dispute",
        "disputes.mediate_dispute",
        "disputes.assign_dispute",
        "disputes.hold_hearing",
        "disputes.follow_up_dispute",
        "disputes.verify_agreement",
        "disputes.view_dispute_figures",
        "disputes.serve_level_4",
    ],
    "auxiliary_officer": _VIEW,
    "police_assistant": _VIEW
    + [
        "disputes.register_dispute",
        "disputes.mediate_dispute",
        "disputes.assign_dispute",
        "disputes.follow_up_dispute",
        "disputes.verify_agreement",
        "disputes.view_dispute_figures",
        "disputes.serve_level_2",
    ],
    "mediator": [
        "disputes.view_dispute",
        "disputes.mediate_dispute",
        "disputes.serve_level_1",
        "disputes.serve_any_pool",
    ],
    "lawyer": [
        "disputes.view_dispute",
        "disputes.mediate_dispute",
        "disputes.serve_level_3",
        "disputes.serve_any_pool",
    ],
    "department_staff": ["disputes.view_dispute", "disputes.handle_joint_task"],
    "dispatcher": _VIEW
    + [
        "disputes.register_dispute",
        "disputes.mediate_dispute",
        "disputes.assign_dispute",
        "disputes.coordinate_joint",
        "disputes.handle_joint_task",
        "disputes.follow_up_dispute",
        "disputes.supervise_dispute",
        "disputes.verify_agreement",
        "disputes.view_dispute_figures",
        "disputes.serve_level_5",
    ],
    # Reference data: the dispute types and their time limits (小事/大事, per level).
    "system_admin": [
        "disputes.add_disputetype",
        "disputes.change_disputetype",
        "disputes.view_disputetype",
    ],
    "leader": _VIEW
    + [
        "disputes.register_dispute",
        "disputes.assign_dispute",
        "disputes.coordinate_joint",
        "disputes.supervise_dispute",
        "disputes.verify_agreement",
        "disputes.view_dispute_figures",
        "disputes.serve_level_5",
    ],
}
