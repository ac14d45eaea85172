import pytest

from fengqiao.cases.defaults import install
from fengqiao.cases.models import Category


@pytest.fixture(autouse=True)
def default_categories(db):
    """Reference data the case fixtures need (transactional tests elsewhere may flush it)."""
    install(Category)
