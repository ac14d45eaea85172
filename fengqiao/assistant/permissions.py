"""Who may maintain the standard answers (merged into the role groups by ``org.roles.sync_roles``).

Hand-offs and alerts: the permission puts the pages in the navigation; ``restrict()`` decides which
grid's rows a user sees (a place-scoped role is required). Standard answers are county-wide reference content, so editing them is a
permission, not a jurisdiction.
"""

# The hand-off queue and the alerts inbox (which rows: restrict() by jurisdiction).
# Turning an alert into a case also needs cases.add_case (checked by the cases service).
_QUEUES = [
    "assistant.view_handoff",
    "assistant.change_handoff",
    "assistant.view_alert",
    "assistant.change_alert",
]
_VIEW = _QUEUES + ["assistant.view_standardanswer", "assistant.view_askedquestion"]
_EDIT = _VIEW + [
    "assistant.add_standardanswer",
    "assistant.change_standardanswer",
    "assistant.delete_standardanswer",
]

ROLE_PERMISSIONS = {
    "grid_worker": _VIEW,
    "auxiliary_officer": _VIEW,
    "community_officer": _EDIT,
    "police_assistant": _EDIT,
    "dispatcher": _EDIT,
    "leader": _EDIT,
}
