"""The foundation's scoped endpoints: places."""

from tests.scoping import ScopedEndpoint

SCOPED = [
    ScopedEndpoint(
        name="org.place",
        make=lambda grid, users: grid,
        list_urls=["/api/v1/places", "/api/v1/places?level=5"],
        detail_urls=lambda place: [f"/api/v1/places/{place.pk}"],
        marker=lambda place: f'"code": "{place.code}"',
        url_names=["/api/v1/places/{place_id}"],
    )
]
