import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _back_to_chinese():
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def county_leader(make_user, county):
    """A leader of the county bureau: the filing level (审核、销号审批)."""
    return make_user("leader", places=[county.county], username="county-leader")


@pytest.fixture
def county_dispatcher(make_user, county):
    return make_user("dispatcher", places=[county.county], username="county-dispatcher")
