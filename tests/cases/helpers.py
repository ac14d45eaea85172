"""Helpers for the cases tests: make cases through the services, walk them through the flow."""

import io
import itertools

from PIL import Image

from fengqiao.cases import services
from fengqiao.cases.models import Category, DispatchRule

_seq = itertools.count(1)


def category(code="cityscape"):
    return Category.objects.get(code=code)


def make_case(grid, *, code="cityscape", description=None, actor=None, **extra):
    extra.setdefault("location_text", f"测试地点{next(_seq)}")
    case, _created = services.report(
        place=grid,
        category=category(code),
        description=description or f"测试事件{next(_seq)}",
        source="grid_worker" if actor else "resident",
        actor=actor,
        reporter_phone=extra.pop("reporter_phone", "13900001111"),
        reporter_name=extra.pop("reporter_name", "张三"),
        **extra,
    )
    return case


def rule(county, code="cityscape", department=None, auto=False):
    return DispatchRule.objects.create(
        category=category(code),
        place=county.county,
        department=department or county.urban,
        auto_dispatch=auto,
    )


def dispatched(grid, users, county, **extra):
    case = make_case(grid, **extra)
    return services.dispatch(case, users["dispatcher"], data={"department": county.urban.pk})


def claimed(grid, users, county, **extra):
    case = dispatched(grid, users, county, **extra)
    return services.claim(case, users["department_staff"])


def resolved(grid, users, county, **extra):
    case = claimed(grid, users, county, **extra)
    return services.resolve(case, users["department_staff"], data={"result": "已清理完毕"})


def closed(grid, users, county, **extra):
    case = resolved(grid, users, county, **extra)
    return services.verify(case, users["grid_worker"], data={"passed": "1"})


def jpeg_bytes(size=(64, 48), gps=False):
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "TestCam"
        exif[0x8825] = {1: "N", 2: (29.0, 43.0, 12.0), 3: "E", 4: (120.0, 31.0, 5.0)}
        image.save(out, "JPEG", exif=exif.tobytes())
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def wav_bytes(seconds=1, rate=8000):
    import struct

    data = b"\x00\x00" * rate * seconds
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data
