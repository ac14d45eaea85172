import pytest

from fengqiao.cases import services
from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category


@pytest.fixture(autouse=True)
def default_categories(db):
    """The data migration installs them; transactional tests elsewhere may have flushed them.
    The sweep's one-minute cache of people is emptied between tests (ids are reused)."""
    services._PEOPLE.clear()
    install(Category)
