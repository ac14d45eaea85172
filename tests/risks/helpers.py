"""Helpers for the risks tests: risks walked through the filing chain."""

import itertools
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.org import services as org_services
from fengqiao.risks import services

_seq = itertools.count(1)


def apply(grid, users, **extra):
    extra.setdefault("title", f"小区业主群体维权苗头{next(_seq)}")
    extra.setdefault("description", "部分业主因房屋质量问题多次聚集，扬言到县政府上访。")
    extra.setdefault("category", "group_instability")
    extra.setdefault("level", "blue")
    return services.apply_risk(users["community_officer"], place=grid, **extra)


def county_leader_for(grid):
    """A leader whose jurisdiction is the county above ``grid`` (made once per county)."""
    from fengqiao.org.models import User

    county = grid.parent.parent.parent
    user = User.objects.filter(username=f"cl-{county.code}").first()
    if user is None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = org_services.create_staff(
            username=f"cl-{county.code}",
            password="Test-Passw0rd!",
            display_name="县局领导",
            roles=["leader"],
            places=[county],
        )
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def approved(grid, users, level="blue", **extra):
    risk = apply(grid, users, level=level, **extra)
    return services.approve(risk, county_leader_for(grid), note="情况属实，同意列管")


def filed(grid, users, level="blue", **extra):
    risk = approved(grid, users, level=level, **extra)
    return services.file_city(risk, county_leader_for(grid), city_reference=f"YH-{risk.pk}")


def pdf(name="化解证明.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


def not_evidence(name="x.exe"):
    return SimpleUploadedFile(name, BytesIO(b"MZ\x90\x00binary").read())
