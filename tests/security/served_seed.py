"""Seed data for the attack tests against a real ``fengqiao serve`` (tests/security/served.py):
run in a subprocess with the served instance's environment, after ``fengqiao migrate``. Prints one
JSON document: the users (role → username), the password, the TOTP keys of two-factor users and
the ids of one case per sibling grid."""

import json
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fengqiao.cases.defaults import install
    from fengqiao.cases.models import Category
    from fengqiao.org import services as org_services
    from fengqiao.org.roles import ROLES
    from tests import conftest
    from tests.cases.scoping_cases import make_case

    install(Category)
    county = conftest.build_county()

    def make_user(role, places=(), stations=(), department=None, username=None):
        user = org_services.create_staff(
            username=username,
            password=conftest.PASSWORD,
            display_name=f"{ROLES[role].label}-{username}",
            roles=[role],
            places=places,
            stations=stations,
            department=department,
        )
        if ROLES[role].second_factor:
            TOTPDevice.objects.create(user=user, name="served", confirmed=True)
        return user

    # only the roles the tests sign in as: every password is hashed with the production hasher
    roles = ("grid_worker", "community_officer", "dispatcher", "leader")
    users_a = {r: make_user(r, places=[county.grid_a], username=f"{r}-a") for r in roles}
    users_b = {r: make_user(r, places=[county.grid_b], username=f"{r}-b") for r in roles}
    case_a = make_case(county.grid_a, users_a)
    case_b = make_case(county.grid_b, users_b)
    totp = {d.user.username: d.key for d in TOTPDevice.objects.select_related("user")}
    json.dump(
        {
            "password": conftest.PASSWORD,
            "a": {role: u.username for role, u in users_a.items()},
            "b": {role: u.username for role, u in users_b.items()},
            "totp": totp,
            "case_a": case_a.pk,
            "case_b": case_b.pk,
            "grid_a": county.grid_a.code,
            "grid_b": county.grid_b.code,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
