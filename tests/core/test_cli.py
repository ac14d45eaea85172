"""The `fengqiao` command as operators and automated checks run it (real processes, real files)."""

import os
import sqlite3
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet


def run(args, home, extra_env=None, timeout=600):
    env = {
        **os.environ,
        "FENGQIAO_HOME": str(home),
        "FENGQIAO_DATABASE_URL": "",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser fixture, not for real runs
    return subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("fqhome")
    result = run(["demo", "--no-serve"], home)
    assert result.returncode == 0, result.stderr[-2000:]
    return home, result.stdout


def test_demo_seeds_once_and_prints_every_role(demo_home):
    home, out = demo_home
    assert (home / "fengqiao.sqlite3").exists()
    for username in (
        "gridworker",
        "officer",
        "auxiliary",
        "assistant",
        "mediator",
        "lawyer",
        "volunteer",
        "dept",
        "dispatcher",
        "leader",
        "sysadmin",
        "secadmin",
        "auditor",
    ):
        assert f"\n{username} " in out
    assert "TOTP secret" in out and "Fengqiao@2026" in out
    db = sqlite3.connect(home / "fengqiao.sqlite3")
    levels = dict(db.execute("SELECT level, count(*) FROM org_place GROUP BY level").fetchall())
    assert levels == {1: 1, 2: 1, 3: 4, 4: 20, 5: 60}
    assert db.execute("SELECT count(*) FROM org_station WHERE kind='station'").fetchone() == (3,)
    again = run(["demo", "--no-serve"], home)
    assert again.returncode == 0 and "already seeded" in again.stdout
    assert db.execute("SELECT count(*) FROM org_place").fetchone() == (86,)


def test_apikey_create_prints_key_alone_on_last_line(demo_home):
    home, _ = demo_home
    result = run(["apikey", "create", "cli-test"], home)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("fq_") and " " not in last
    duplicate = run(["apikey", "create", "cli-test"], home)
    assert duplicate.returncode != 0 and "已有同名密钥" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr


def test_createuser_rejects_weak_password_and_unknown_place(demo_home):
    home, _ = demo_home
    weak = run(["createuser", "newbie", "--role", "grid_worker", "--password", "123"], home)
    assert weak.returncode != 0 and "Traceback" not in weak.stderr
    unknown = run(
        [
            "createuser",
            "newbie",
            "--role",
            "grid_worker",
            "--place",
            "nope",
            "--password",
            "Str0ng-Pass!",
        ],
        home,
    )
    assert unknown.returncode != 0 and "unknown code" in unknown.stderr
    ok = run(
        [
            "manage",
            "createuser",
            "newbie",
            "--role",
            "grid_worker",
            "--place",
            "339901001001001",
            "--password",
            "Str0ng-Pass!x",
        ],
        home,
    )
    assert ok.returncode == 0, ok.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "FENGQIAO_DEMO": "0",
        "FENGQIAO_SECRET_KEY": "x" * 20 + "production-secret-key-for-the-check-only-9f8e7d6c",
        "FENGQIAO_DATA_KEYS": Fernet.generate_key().decode(),
        "FENGQIAO_HASH_KEY": "h" * 40,
        "FENGQIAO_ALLOWED_HOSTS": "gov.example.cn",
        "FENGQIAO_SECURE_COOKIES": "1",
        "FENGQIAO_SSL_REDIRECT": "1",
        "FENGQIAO_TRUSTED_PROXIES": "127.0.0.1",  # the nginx of docs/deploy.md
    }
    result = run(["manage", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    # Behind no trusted proxy, HTTPS redirection would loop: the check says so.
    env["FENGQIAO_TRUSTED_PROXIES"] = ""
    result = run(["manage", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, env)
    assert result.returncode != 0 and "fengqiao.W001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_keys(tmp_path):
    result = run(["manage", "check"], tmp_path, {"FENGQIAO_DEMO": "0", "FENGQIAO_SECRET_KEY": ""})
    assert result.returncode != 0 and "FENGQIAO_SECRET_KEY" in result.stderr


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone in all but name
        return stat.read().split(") ")[1][0] != "Z"


def _serve_children(home, port):
    import re
    import socket
    import time

    env = {**os.environ, "FENGQIAO_HOME": str(home), "FENGQIAO_DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "fengqiao.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = serve.stdout.readline()
    pids = [int(pid) for pid in re.findall(r"pid (\d+)", line)]
    assert len(pids) == 2, line
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until gunicorn answers, so its children exist too
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.5)
    return serve, pids


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_serve_leaves_no_server_or_worker_behind(demo_home, sig):
    """A service manager stops ``serve`` with SIGTERM (or kills it): gunicorn and the worker go too."""
    import signal
    import time

    home, _ = demo_home
    serve, pids = _serve_children(home, _free_port())
    try:
        assert all(_alive(pid) for pid in pids)
        serve.send_signal(getattr(signal, sig))
        serve.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in pids)
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        serve.kill()
