import pytest

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category


@pytest.fixture(autouse=True)
def default_categories(db):
    """The data migration installs them; transactional tests elsewhere may have flushed them.
    Cached people are emptied between tests by tests/conftest.py (ids are reused)."""
    install(Category)
