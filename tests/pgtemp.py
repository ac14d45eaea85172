"""Throw-away PostgreSQL servers and a pgbouncer for the operations tests (issue 15).

The machine's own PostgreSQL (127.0.0.1:5432) allows no replication connections, and a test must
not change its settings; so the replica test starts a primary of its own (``initdb`` in a temp
folder, ``wal_level=replica``, replication allowed from 127.0.0.1) and a streaming replica of it
(``pg_basebackup -R``), each a ``postgres`` process on a free port. PostgreSQL and pgbouncer refuse
to run as root: when the tests run as root (CI), the servers run as the ``postgres`` account.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("FENGQIAO_PG_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def have_server_binaries():
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_basebackup").exists()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd):
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *cmd]


def _run(cmd, **kwargs):
    return subprocess.run(  # noqa: S603
        _as_server_user([str(c) for c in cmd]), check=True, capture_output=True, text=True, **kwargs
    )


def scratch_dir(prefix):
    """A temp folder the server account can write to."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


class Server:
    """One ``postgres`` process on a free port, its data folder under ``root``."""

    def __init__(self, root, name):
        self.root = Path(root)
        self.data = self.root / name
        self.port = free_port()

    def url(self, dbname):
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _settings(self, extra=""):
        return (
            f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
            f"unix_socket_directories = '{self.data}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 32MB\nmax_connections = 40\n" + extra
        )

    def init_primary(self):
        _run(
            [
                PG_BIN / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-N",
                "-E",
                "UTF8",
            ]
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(self._settings("wal_level = replica\nmax_wal_senders = 4\n"))
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")
        return self

    def init_replica_of(self, primary):
        """A streaming replica: a base backup of ``primary`` that follows its WAL."""
        _run(
            [PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres"]
            + ["-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        )
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.write(self._settings("hot_standby = on\n"))
        return self

    def start(self):
        _run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / f"{self.data.name}.log"]
             + ["-w", "-t", "60", "start"])  # fmt: skip
        return self

    def stop(self, mode="fast"):
        subprocess.run(  # noqa: S603
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop"]),
            capture_output=True,
            check=False,
        )

    def psql(self, sql, dbname="postgres"):
        out = subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname]
            + ["-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


def wait_for(check, timeout=30, every=0.1, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Pgbouncer:
    """pgbouncer on a free port in front of ``dbname`` on host:port, in ``pool_mode``."""

    def __init__(
        self, dbname, *, host="127.0.0.1", port=5432, pool_mode="transaction", pool_size=2
    ):
        self.root = scratch_dir("fq-pgbouncer-")
        self.port = free_port()
        self.dbname = dbname
        users = self.root / "userlist.txt"
        users.write_text('"postgres" ""\n')
        self.ini = self.root / "pgbouncer.ini"
        self.ini.write_text(
            "[databases]\n"
            f"{dbname} = host={host} port={port} dbname={dbname}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\nadmin_users = postgres\n"
            f"pool_mode = {pool_mode}\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.root / 'pgbouncer.log'}\n"
        )
        for path in (users, self.ini):
            path.chmod(0o644)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            _as_server_user([PGBOUNCER, str(self.ini)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"pgbouncer exited: {self.process.stderr.read()!r}")
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(answers, timeout=15, what="pgbouncer")
        return self

    def show(self, what):
        """``SHOW what`` on the admin console, as a list of dicts."""
        out = (
            subprocess.run(  # noqa: S603
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    "pgbouncer",
                ]
                + ["-A", "-F", "\t", "-c", f"SHOW {what}"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()
        )
        header = out[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in out[1:-1]]

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
