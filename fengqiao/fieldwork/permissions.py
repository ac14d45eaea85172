"""Who may do what in community-police fieldwork."""

_VIEW = [
    "fieldwork.view_visit",
    "fieldwork.view_fieldnote",
    "fieldwork.view_patrollog",
    "fieldwork.view_activity",
    "fieldwork.view_patrolcircle",
]
_RECORD = [
    "fieldwork.add_visit",
    "fieldwork.add_fieldnote",
    "fieldwork.change_fieldnote",
    "fieldwork.add_patrollog",
    "fieldwork.add_activity",
]
_ORGANISE = [
    "fieldwork.add_patrolcircle",
    "fieldwork.change_patrolcircle",
    "fieldwork.add_patrolshift",
    "fieldwork.view_visittarget",
    "fieldwork.change_visittarget",
]

ROLE_PERMISSIONS = {
    "grid_worker": _VIEW + _RECORD,
    "community_officer": _VIEW + _RECORD + _ORGANISE,
    "auxiliary_officer": _VIEW + _RECORD,
    "police_assistant": _VIEW + _RECORD,
    "dispatcher": _VIEW,
    # Leaders (county/station) organise patrol circles across villages and set visit targets.
    "leader": _VIEW + _ORGANISE + ["fieldwork.add_patrollog"],
    # Volunteers read the circles whose teams they belong to (rota, logs): assignment scope.
    "volunteer": ["fieldwork.view_patrolcircle", "fieldwork.view_patrollog"],
}
