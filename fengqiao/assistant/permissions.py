"""Who may maintain the standard answers (merged into the role groups by ``org.roles.sync_roles``).

Hand-offs and alerts need no permission beyond a place-scoped role: ``restrict()`` decides which
grid's rows a user sees. Standard answers are county-wide reference content, so editing them is a
permission, not a jurisdiction.
"""

_VIEW = ["assistant.view_standardanswer"]
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
