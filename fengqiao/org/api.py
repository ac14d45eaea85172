"""API: who am I, and the places in my jurisdiction."""

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from .models import Place

router = Router(tags=["org"])


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    scope: list[str]


@router.get("/me", response=MeOut)
def me(request):
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.role_codes),
        "scope": list(user.scope_paths()),
    }


class PlaceOut(Schema):
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    centre_lat: float | None
    centre_lng: float | None


class PlaceDetailOut(PlaceOut):
    boundary: dict | None


@router.get("/places", response=list[PlaceOut])
@paginate(PageNumberPagination)
def list_places(request, level: int | None = None):
    rows = Place.objects.restrict(request.user)
    return rows.filter(level=level) if level else rows


@router.get("/places/{place_id}", response=PlaceDetailOut)
def get_place(request, place_id: int):
    return Place.objects.get_scoped(request.user, pk=place_id)
