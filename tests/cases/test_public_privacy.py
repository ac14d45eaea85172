"""Anonymous pages show nothing personal: the report page lists no one else's locations."""

import pytest

from .helpers import make_case

pytestmark = pytest.mark.django_db


def test_report_page_lists_no_other_reports_locations(client, county):
    make_case(county.grid_a, location_text="和平巷7号张伟家门口")
    page = client.get(f"/r/g/{county.grid_a.code}/").content.decode()
    assert "和平巷7号" not in page and "张伟" not in page
    assert "grid-places" not in page
