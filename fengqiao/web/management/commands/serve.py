"""``fengqiao serve [--port N]``: the web server (gunicorn) and the background worker together."""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'


def _die_with_parent():
    """In the child, before exec: on Linux, receive SIGTERM when ``serve`` itself dies (even by
    SIGKILL), so no gunicorn or worker is left running without its supervisor."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: SIGTERM/Ctrl-C still work
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the web server and the worker; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, port, host, workers, **options):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings"}
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "fengqiao.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                # Path without the query string and no referer: keys or personal data a client
                # put in a URL never reach the access log.
                "--access-logformat",
                ACCESS_LOG_FORMAT,
                "--logger-class",  # api keys in query strings never reach the access log
                "fengqiao.core.logscrub.GunicornLogger",
                "--graceful-timeout",
                "5",
                # gunicorn believes X-Forwarded-Proto from 127.0.0.1 by default, so any local
                # client could claim HTTPS: only the proxies the application trusts (the same
                # FENGQIAO_TRUSTED_PROXIES as core.context.client_ip; empty = nobody)
                "--forwarded-allow-ips",
                ",".join(settings.TRUSTED_PROXIES),
            ],
            env=env,
            preexec_fn=_die_with_parent,
        )

        def start_worker():
            return subprocess.Popen(
                [sys.executable, "-m", "fengqiao.cli", "worker"],
                env=env,
                preexec_fn=_die_with_parent,
            )

        worker = start_worker()
        self.stdout.write(
            f"serving on http://{host}:{port}/ (web pid {web.pid}, worker pid {worker.pid})"
        )
        # The web server never depends on the worker: a worker that exits is started again
        # (after a back-off that grows while it keeps dying); only the web server's end ends us.
        delay, restart_at = 1.0, None
        # `kill`/systemd stop (SIGTERM) or a closed terminal (SIGHUP) end both children, as Ctrl-C
        # does; the handlers are put back afterwards (tests run this in-process).
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            while web.poll() is None:
                if worker.poll() is not None:
                    now = time.monotonic()
                    if restart_at is None:
                        self.stderr.write(
                            f"worker exited with {worker.returncode}; restarting in {delay:.0f} s"
                        )
                        restart_at = now + delay
                    elif now >= restart_at:
                        worker = start_worker()
                        restart_at, delay = None, min(delay * 2, 60.0)
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("stopped")
