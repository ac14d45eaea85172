"""Seeding the demo county: the foundation first, then every domain app's ``demo.seed(county)``."""

import importlib

from django.apps import apps
from django.db import transaction

from fengqiao.org import demo as org_demo
from fengqiao.org.models import Place


def seed_all(stdout=None) -> list | None:
    """Seed an empty database. Returns the printed accounts, or None if data already exists."""
    if Place.objects.exists():
        return None
    with transaction.atomic():
        county, accounts = org_demo.seed()
    for config in apps.get_app_configs():
        if not config.name.startswith("fengqiao.") or config.name == "fengqiao.org":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if stdout:
            stdout.write(f"seeding {config.label} …")
        module.seed(county)
    return accounts
