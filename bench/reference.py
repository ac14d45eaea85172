"""The reference endpoints of the benchmark (issue 15): bare Django on the same database, served by
the same gunicorn workers as the application, so every result is a ratio measured at the same
moment on the same machine.

    gunicorn bench.reference:application      # the whole application + /bench/ref/…

* ``POST /bench/ref/create`` — parse a JSON body, one insert, one audit row, in one transaction,
  answer 201 with the new id (what the issue calls "bare Django: one insert + one audit row");
* ``GET /bench/ref/list`` — one page of 50 rows, newest first, as JSON.

The two tables are plain (``bench_ref_item``, ``bench_ref_audit``), created by
:func:`create_tables` (the benchmark calls it); the models are unmanaged so no migration of the
application knows them. Never mounted by ``fengqiao.urls``: only this WSGI module serves them.
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.db import connection, models, transaction  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


class RefItem(models.Model):
    body = models.TextField()
    grid = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        app_label = "core"
        db_table = "bench_ref_item"
        managed = False

    def __str__(self):
        return str(self.pk)


class RefAudit(models.Model):
    action = models.CharField(max_length=64)
    target = models.BigIntegerField()
    at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        app_label = "core"
        db_table = "bench_ref_audit"
        managed = False

    def __str__(self):
        return self.action


def create_tables():
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_ref_item (id bigserial PRIMARY KEY, body text NOT NULL,"
            " grid varchar(32) NOT NULL, created_at timestamptz NOT NULL)"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_ref_audit (id bigserial PRIMARY KEY,"
            " action varchar(64) NOT NULL, target bigint NOT NULL, at timestamptz NOT NULL,"
            " data jsonb NOT NULL)"
        )


@csrf_exempt
def ref_create(request):
    payload = json.loads(request.body)
    now = timezone.now()
    with transaction.atomic():
        item = RefItem.objects.create(
            body=str(payload.get("description", ""))[:4000],
            grid=str(payload.get("grid", ""))[:32],
            created_at=now,
        )
        RefAudit.objects.create(action="ref.create", target=item.pk, at=now, data={"v": 1})
    return JsonResponse({"id": item.pk}, status=201)


def ref_list(request):
    rows = list(RefItem.objects.order_by("-id").values("id", "body", "grid", "created_at")[:50])
    return JsonResponse({"items": rows})


urlpatterns = [
    path("bench/ref/create", ref_create),
    path("bench/ref/list", ref_list),
    path("", include("fengqiao.urls")),
]


def _use_this_urlconf():
    from django.conf import settings
    from django.urls import clear_url_caches

    settings.ROOT_URLCONF = __name__
    clear_url_caches()


_use_this_urlconf()
