"""0002: hand-off contacts written in clear before it are encrypted by it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fengqiao.assistant.models import Handoff
from fengqiao.core import pii


@pytest.mark.django_db(transaction=True)
def test_existing_contacts_are_encrypted(county):
    executor = MigrationExecutor(connection)
    executor.migrate([("assistant", "0001_initial")])
    old = MigrationExecutor(connection).loader.project_state(("assistant", "0001_initial")).apps
    OldHandoff = old.get_model("assistant", "Handoff")
    OldHandoff.objects.create(
        place_id=county.grid_a.pk,
        place_path=county.grid_a.path,
        question="q",
        contact="13812345678",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact FROM assistant_handoff")
        [(stored,)] = cursor.fetchall()
    assert "13812345678" not in stored and pii.decrypt(stored) == "13812345678"
    handoff = Handoff.objects.get()
    assert str(handoff.contact) == "***" and handoff.contact.clear == "13812345678"
