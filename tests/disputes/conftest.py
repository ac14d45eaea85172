import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """The test client leaves the last request's language active in the thread: a test asking
    for English must not turn the next test's notifications and messages English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
