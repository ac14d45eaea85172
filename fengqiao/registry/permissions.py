"""Who may do what with base information. Labels (special-group tags) are permissions too."""

_MODELS = ("address", "house", "person", "unit")
_VIEW = [f"registry.view_{m}" for m in _MODELS] + ["registry.view_foreignerstay"]
_WRITE = [f"registry.{verb}_{m}" for m in _MODELS for verb in ("add", "change")]
_ALL_LABELS = [
    "registry.label_key_person",
    "registry.label_correction",
    "registry.label_released",
    "registry.label_mental",
    "registry.label_care",
]
_STAYS = ["registry.add_foreignerstay", "registry.change_foreignerstay"]

ROLE_PERMISSIONS = {
    # The grid worker keeps the base information of the grid and cares for vulnerable people.
    "grid_worker": _VIEW
    + _WRITE
    + _STAYS
    + ["registry.import_registry", "registry.export_registry", "registry.label_care"],
    # The community officer holds every label, checks foreigners' stays, may export unmasked.
    "community_officer": _VIEW
    + _WRITE
    + _STAYS
    + _ALL_LABELS
    + [
        "registry.import_registry",
        "registry.export_registry",
        "registry.export_registry_clear",
        "registry.check_foreignerstay",
    ],
    "auxiliary_officer": _VIEW + _WRITE + _STAYS,
    "police_assistant": _VIEW
    + _WRITE
    + ["registry.label_care", "registry.label_correction", "registry.label_released"],
    "dispatcher": _VIEW,
    "leader": _VIEW + _ALL_LABELS + ["registry.export_registry"],
}
