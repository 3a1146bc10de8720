"""A throwaway single-node Ceph on 127.0.0.1: one monitor, one OSD, one RADOS Gateway.

The daemons come from Debian (``ceph-mon``, ``ceph-osd``, ``radosgw``;
scripts/bootstrap.sh installs them when run as root). The OSD keeps its
objects in memory (memstore), so a fresh cluster starts in seconds and
leaves nothing behind; ``kill()`` would lose every object, so crash tests
keep using SeaweedFS and the Swift SAIO. Daemons authenticate nothing among
themselves (``auth none``): everything listens on 127.0.0.1 only, and the
gateway still checks S3 signatures and Swift keys as in production.

The gateway serves S3 and Swift (its own v1 authentication, ``/auth/1.0``)
for one user with a generated S3 key pair and a Swift subuser.
"""

import atexit
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from .process import Process, ServerBase, free_port, wait_for_port

PACKAGES = ("ceph-mon", "ceph-osd", "radosgw")
COMMANDS = ("monmaptool", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph")
ENV_NAME = "STORAGE_TEST_CEPH"
MIB = 1024 * 1024


def missing_commands():
    """The Ceph commands this machine lacks (empty when Ceph can run here)."""
    return [name for name in COMMANDS if shutil.which(name) is None]


class CephServer(ServerBase):
    """One monitor, one memstore OSD and one radosgw with S3 and Swift."""

    region = "us-east-1"  # the gateway accepts any region in signatures
    user_id = "storage-tests"

    def __init__(self, parent=None):
        missing = missing_commands()
        if missing:
            raise RuntimeError(
                f"Ceph is not installed (missing {', '.join(missing)}): "
                f"install the Debian packages {' '.join(PACKAGES)} (scripts/bootstrap.sh as root)"
            )
        self.directory = tempfile.mkdtemp(prefix="storage-ceph-", dir=parent)
        self.conf = os.path.join(self.directory, "ceph.conf")
        self.mon_port = free_port()
        self.port = free_port()
        self.access_key = f"storage{secrets.token_hex(6)}"
        self.secret_key = secrets.token_hex(20)
        self.swift_key = secrets.token_hex(16)
        self.processes = {}
        self.startup_seconds = None

    # -- what clients need --------------------------------------------------------

    @property
    def endpoint_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self):
        """The gateway's log: one line per request (``beast: ... "GET /path HTTP/1.1"``)."""
        return os.path.join(self.directory, "log", "client.rgw.log")

    def s3_settings(self):
        return {
            "server": "ceph-rgw",
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region": self.region,
        }

    def swift_settings(self):
        return {
            "server": "ceph-rgw",
            "auth_url": f"{self.endpoint_url}/auth/1.0",
            "user": f"{self.user_id}:swift",
            "key": self.swift_key,
            "storage_url": f"{self.endpoint_url}/swift/v1",
            "access_log": self.access_log,
        }

    def settings(self):
        """What ``STORAGE_TEST_CEPH`` holds (JSON): both APIs of the gateway."""
        return {
            "s3": self.s3_settings(),
            "swift": self.swift_settings(),
            "startup_seconds": self.startup_seconds,
        }

    # -- lifecycle ----------------------------------------------------------------------

    def start(self, timeout=120.0):
        """Create the cluster and its user, start every daemon, wait until S3 answers."""
        started = time.monotonic()
        deadline = started + timeout
        try:
            self._configure()
            subprocess.run(
                ["ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", self._monmap()],
                check=True,
                capture_output=True,
            )
            self._start_daemon("mon", ["ceph-mon", "-c", self.conf, "-i", "a", "-f"])
            wait_for_port(self.mon_port, timeout=30, process=self.processes["mon"])
            osd_uuid = str(uuid.uuid4())
            self._ceph("osd", "new", osd_uuid)
            self._run(["ceph-osd", "-c", self.conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid])
            self._start_daemon("osd", ["ceph-osd", "-c", self.conf, "-i", "0", "-f"])
            self._start_daemon("rgw", ["radosgw", "-c", self.conf, "-n", "client.rgw", "-f"])
            self._wait_for_gateway(deadline)
            self._create_user()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = round(time.monotonic() - started, 1)
        return self

    def _start_daemon(self, name, argv):
        log = os.path.join(self.directory, "log", f"{name}.out")
        self.processes[name] = Process(f"ceph {name}", argv, log, cwd=self.directory).start()

    def _run(self, argv, timeout=60):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stderr or result.stdout}")
        return result.stdout

    def _ceph(self, *args):
        return self._run(["ceph", "-c", self.conf, "--connect-timeout", "30", *args])

    def _admin(self, *args):
        return self._run(["radosgw-admin", "-c", self.conf, "-n", "client.rgw", *args])

    def _wait_for_gateway(self, deadline):
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"ceph {name} exited: {process.describe_failure()}")
            try:
                with urllib.request.urlopen(self.endpoint_url, timeout=5) as response:
                    response.read()
                return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        "the RADOS Gateway did not answer: "
                        + self.processes["rgw"].describe_failure()
                    ) from None
                time.sleep(0.1)

    def _create_user(self):
        self._admin(
            "user",
            "create",
            f"--uid={self.user_id}",
            "--display-name=Storage tests",
            f"--access-key={self.access_key}",
            f"--secret-key={self.secret_key}",
        )
        self._admin(
            "subuser",
            "create",
            f"--uid={self.user_id}",
            f"--subuser={self.user_id}:swift",
            "--access=full",
            "--key-type=swift",
            f"--secret-key={self.swift_key}",
        )

    def kill(self):
        raise NotImplementedError("memstore keeps no data across a crash: use SeaweedFS")

    def stop(self):
        """Stop the gateway, the OSD and the monitor, then delete the cluster's files."""
        for name in ("rgw", "osd", "mon"):
            process = self.processes.pop(name, None)
            if process is not None:
                process.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- configuration ----------------------------------------------------------------

    def _monmap(self):
        path = os.path.join(self.directory, "monmap")
        self._run(
            [
                "monmaptool",
                "--create",
                "--fsid",
                self.fsid,
                "--addv",
                "a",
                f"[v2:127.0.0.1:{self.mon_port}]",
                path,
            ]
        )
        return path

    def _configure(self):
        self.fsid = str(uuid.uuid4())
        for name in ("mon/a", "osd/0", "run", "log", "rgw"):
            os.makedirs(os.path.join(self.directory, name), exist_ok=True)
        here = self.directory
        options = {
            "global": {
                "fsid": self.fsid,
                "mon host": f"v2:127.0.0.1:{self.mon_port}",
                "public addr": "127.0.0.1",
                "ms bind msgr1": "false",
                # no cephx: nothing listens beyond 127.0.0.1, and "none"
                # authenticates no on-the-wire encryption ("secure" mode)
                "auth cluster required": "none",
                "auth service required": "none",
                "auth client required": "none",
                "ms mon client mode": "crc",
                "ms client mode": "crc",
                "run dir": f"{here}/run",
                "admin socket": f"{here}/run/$name.asok",
                "log file": f"{here}/log/$name.log",
                "crash dir": f"{here}/crash",
                "mon data": f"{here}/mon/$id",
                # one OSD holds every copy; few placement groups, no balancing
                "osd pool default size": "1",
                "osd pool default min size": "1",
                "osd pool default pg num": "8",
                "osd pool default pgp num": "8",
                "osd pool default pg autoscale mode": "off",
                "osd crush chooseleaf type": "0",
                "mon allow pool delete": "true",
                "mon warn on pool no redundancy": "false",
                # a nearly full disk elsewhere must not stop the monitor
                "mon data avail warn": "1",
                "mon data avail crit": "0",
                # propose map changes (pool creation at first start) at once
                "paxos propose interval": "0.05",
            },
            "osd.0": {
                "osd data": f"{here}/osd/0",
                "osd objectstore": "memstore",
                "memstore device bytes": str(4096 * MIB),
            },
            "client.rgw": {
                "rgw frontends": f"beast endpoint=127.0.0.1:{self.port}",
                "rgw data": f"{here}/rgw",
                "rgw enable apis": "s3, swift, swift_auth, admin",
                # the access log (one line per request) at level 1
                "debug rgw": "1",
                # encryption headers are honoured over plain HTTP as over
                # HTTPS, so that tests see what the gateway does with them
                "rgw crypt require ssl": "false",
            },
        }
        lines = []
        for section, values in options.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {value}" for key, value in values.items()]
            lines.append("")
        with open(self.conf, "w") as handle:
            handle.write("\n".join(lines))


def requests_in_log(path, method, url_path):
    """How many ``method url_path`` requests a gateway access log shows."""
    needle = f'"{method} {url_path} '
    with open(path, errors="replace") as log:
        return sum(needle in line for line in log)


def shared_settings():
    """The shared Ceph's settings (``STORAGE_TEST_CEPH``), else a private one's, else None.

    None when Ceph is not installed here: callers skip, saying why
    (:func:`missing_commands`). A private cluster is stopped at exit.
    """
    if os.environ.get(ENV_NAME):
        return json.loads(os.environ[ENV_NAME])
    if missing_commands():
        return None
    server = CephServer().start()
    atexit.register(server.stop)
    return server.settings()


def skip_reason():
    return (
        f"Ceph is not installed ({', '.join(missing_commands())} missing): "
        f"apt-get install {' '.join(PACKAGES)}"
    )


def start_shared(workdir):
    """Shared by the pytest and Odoo runs: ``STORAGE_TEST_CEPH``."""
    server = CephServer(parent=workdir).start()
    print(f"==> Ceph (mon, memstore OSD, radosgw) started in {server.startup_seconds}s", flush=True)
    return {ENV_NAME: json.dumps(server.settings())}
