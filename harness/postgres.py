"""A PostgreSQL 15 cluster of our own on 127.0.0.1."""

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

from .process import Process, free_port, tail

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
ROLE = "odoo"


class Postgres:
    """``initdb`` + ``postgres`` in a directory; as user ``postgres`` when root.

    Odoo refuses to connect as ``postgres``, so a role ``odoo`` (LOGIN
    CREATEDB, password auth over TCP) is created for it.
    """

    def __init__(self, directory=None, *, port=None, throwaway=True):
        self.throwaway = throwaway
        self.directory = directory or tempfile.mkdtemp(prefix="storage-pg-")
        self.port = port or free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.password_file = os.path.join(self.directory, "odoo.password")
        self.data = os.path.join(self.directory, "data")
        self.socket_dir = os.path.join(self.directory, "socket")
        self.process = None

    @property
    def password(self):
        with open(self.password_file) as handle:
            return handle.read().strip()

    def odoo_options(self):
        return {
            "db_host": "127.0.0.1",
            "db_port": str(self.port),
            "db_user": ROLE,
            "db_password": self.password,
        }

    def _run(self, *argv):
        kwargs = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)

    def _chown(self, path):
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "postgres")):
            raise RuntimeError(f"PostgreSQL 15 not found in {PG_BIN} (set PG_BIN)")
        os.makedirs(self.socket_dir, exist_ok=True)
        os.chmod(self.directory, 0o711)
        for path in (self.directory, self.socket_dir):
            self._chown(path)
        fresh = not os.path.exists(os.path.join(self.data, "PG_VERSION"))
        if fresh:
            self._run(
                f"{PG_BIN}/initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-instructions",
                *(("--no-sync",) if self.throwaway else ()),
            )
        tuning = (
            ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
            if self.throwaway
            else []
        )
        self.process = Process(
            "postgresql",
            [
                f"{PG_BIN}/postgres",
                "-D",
                self.data,
                "-p",
                self.port,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "max_connections=200",
                *tuning,
            ],
            os.path.join(self.directory, "postgres.log"),
            user=self.user,
            stop_signal=signal.SIGINT,  # SIGINT: fast shutdown
        ).start()
        self._wait_ready()
        if fresh:
            self._create_role()
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.describe_failure())
            ready = subprocess.run(
                [f"{PG_BIN}/pg_isready", "-q", "-h", self.socket_dir, "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"PostgreSQL not ready after {timeout}s:\n{tail(self.process.log_path)}")

    def psql(self, sql, database="postgres"):
        return self._run(
            f"{PG_BIN}/psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.socket_dir,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tA",
            "-c",
            sql,
        ).stdout

    def _create_role(self):
        password = secrets.token_urlsafe(18)
        self.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{password}'")
        with open(
            os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w"
        ) as handle:
            handle.write(password)

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=60)
            self.process = None
        if self.throwaway:
            shutil.rmtree(self.directory, ignore_errors=True)
