import os

import pytest

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category

ON_POSTGRES = os.environ.get("FENGQIAO_DATABASE_URL", "").split(":")[0] in (
    "postgres",
    "postgresql",
)
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="operations of a PostgreSQL deployment (replica, pooler, dumps)"
)


@pytest.fixture
def categories(db):
    """The data migration installs them; transactional tests elsewhere may have flushed them."""
    install(Category)


def database_url(settings_dict, *, port=None, name=None):
    s = settings_dict
    user = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    host = s["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{port or s['PORT'] or 5432}/{name or s['NAME']}"
