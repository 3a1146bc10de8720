"""A real OpenStack Swift ("Swift All In One") on 127.0.0.1.

One device, one replica: a proxy server with tempauth, tempurl, SLO/DLO,
bulk and quota middlewares, the account, container and object servers, and
memcached (tempauth keeps its tokens there). Swift comes from PyPI (``swift``
in the services virtualenv), memcached from Debian. Ports are picked free;
``kill()`` crashes every process and ``start()`` serves the same data again.
"""

import atexit
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .process import Process, free_port, services_bin, wait_for_port

SERVERS = ("account", "container", "object")

PROXY_PIPELINE = (
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk "
    "tempurl tempauth copy container-quotas account-quotas slo dlo versioned_writes "
    "symlink proxy-logging proxy-server"
)
# egg:swift#<entry point> of each filter, where it differs from its name
ENTRY_POINTS = {"cache": "memcache"}


def check_xattr_support(directory):
    """Swift's object server keeps metadata in extended attributes."""
    probe = os.path.join(directory, ".xattr-probe")
    with open(probe, "wb"):
        pass
    try:
        os.setxattr(probe, "user.swift.probe", b"1")
    except OSError as error:
        raise RuntimeError(
            f"{directory} does not support user extended attributes ({error.strerror}), "
            "which Swift needs: set TMPDIR to a directory on ext4, xfs or btrfs"
        ) from error
    finally:
        os.unlink(probe)


class SwiftServer:
    account = "test"
    username = "tester"

    def __init__(self, directory=None):
        self.directory = directory or tempfile.mkdtemp(prefix="storage-swift-")
        os.makedirs(self.directory, exist_ok=True)
        self.swift_dir = os.path.join(self.directory, "etc")
        self.devices = os.path.join(self.directory, "node")
        self.ports = {name: free_port() for name in ("proxy", "memcached", "syslog", *SERVERS)}
        self.key = secrets.token_hex(12)
        self.admin_key = secrets.token_hex(12)
        self.processes = {}
        self._configured = False

    # -- what clients need -------------------------------------------------------

    @property
    def url(self):
        return f"http://127.0.0.1:{self.ports['proxy']}"

    @property
    def auth_url(self):
        return f"{self.url}/auth/v1.0"

    @property
    def user(self):
        return f"{self.account}:{self.username}"

    @property
    def storage_url(self):
        return f"{self.url}/v1/AUTH_{self.account}"

    @property
    def proxy_log(self):
        return os.path.join(self.directory, "proxy.log")

    def env(self):
        """What ``STORAGE_TEST_SWIFT`` holds (JSON)."""
        return {
            "server": "saio",
            "auth_url": self.auth_url,
            "user": self.user,
            "key": self.key,
            "admin_user": "admin:admin",
            "admin_key": self.admin_key,
            "storage_url": self.storage_url,
            "proxy_log": self.proxy_log,
            "access_log": self.proxy_log,
        }

    def auth_requests(self):
        """How many authentications the proxy has served so far."""
        with open(self.proxy_log, errors="replace") as log:
            return sum(" GET /auth/v1.0 " in line for line in log)

    # -- lifecycle -----------------------------------------------------------------

    def start(self):
        if not self._configured:
            self._configure()
        for name in ("memcached", *SERVERS, "proxy"):
            self._start_process(name)
        for name, process in self.processes.items():
            wait_for_port(self.ports[name], process=process)
        self._wait_healthy()
        return self

    def _start_process(self, name):
        log = os.path.join(self.directory, f"{name}.log")
        if name == "memcached":
            argv = ["memcached", "-l", "127.0.0.1", "-p", self.ports[name], "-U", "0", "-m", "32"]
            if os.geteuid() == 0:
                argv += ["-u", "root"]  # memcached refuses root without -u
        else:
            conf = os.path.join(self.swift_dir, f"{name}-server.conf")
            argv = [services_bin(f"swift-{name}-server"), conf, "--verbose"]
        self.processes[name] = Process(f"swift {name}", argv, log).start()

    def _wait_healthy(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthcheck", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise TimeoutError(self.processes["proxy"].describe_failure()) from None
                time.sleep(0.1)

    def kill(self):
        """Crash every process; the data stays and ``start()`` serves it again."""
        for process in reversed(self.processes.values()):  # the proxy first
            process.kill()
        self.processes = {}

    def forget_tokens(self):
        """Restart memcached: every token issued so far becomes invalid."""
        self.processes.pop("memcached").kill()
        self._start_process("memcached")
        wait_for_port(self.ports["memcached"], process=self.processes["memcached"])

    def stop(self):
        for process in self.processes.values():
            process.stop()
        self.processes = {}
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- configuration -------------------------------------------------------------

    def _configure(self):
        os.makedirs(self.swift_dir, exist_ok=True)
        os.makedirs(os.path.join(self.devices, "d1"), exist_ok=True)
        check_xattr_support(self.devices)
        self._write(
            "swift.conf",
            "[swift-hash]\n"
            f"swift_hash_path_prefix = {secrets.token_hex(8)}\n"
            f"swift_hash_path_suffix = {secrets.token_hex(8)}\n\n"
            "[storage-policy:0]\nname = gold\ndefault = yes\n",
        )
        subprocess.run(
            [
                services_bin("python"),
                "-I",  # keep this folder (and its swift.py) off sys.path
                str(Path(__file__).with_name("swift_rings.py")),
                self.swift_dir,
                *(str(self.ports[name]) for name in SERVERS),
            ],
            check=True,
        )
        user = pwd.getpwuid(os.geteuid()).pw_name
        common = (
            "[DEFAULT]\n"
            "bind_ip = 127.0.0.1\n"
            "workers = 0\n"
            f"user = {user}\n"
            f"swift_dir = {self.swift_dir}\n"
            f"devices = {self.devices}\n"
            "mount_check = false\n"
            "disable_fallocate = true\n"
            f"recon_cache_path = {self.directory}\n"
            # --verbose logs to our log files; the syslog copy goes to a port
            # where nobody listens rather than to the machine's syslog
            "log_udp_host = 127.0.0.1\n"
            f"log_udp_port = {self.ports['syslog']}\n"
        )
        for name in SERVERS:
            self._write(
                f"{name}-server.conf",
                f"{common}bind_port = {self.ports[name]}\n\n"
                f"[pipeline:main]\npipeline = {name}-server\n\n"
                f"[app:{name}-server]\nuse = egg:swift#{name}\n",
            )
        self._write(
            "proxy-server.conf",
            f"{common}bind_port = {self.ports['proxy']}\n\n"
            f"[pipeline:main]\npipeline = {PROXY_PIPELINE}\n\n"
            + self._proxy_filters()
            + "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n",
        )
        self._configured = True

    def _proxy_filters(self):
        options = {
            "cache": {"memcache_servers": f"127.0.0.1:{self.ports['memcached']}"},
            "tempurl": {"allowed_digests": "sha256 sha512"},
            "tempauth": {
                f"user_{self.account}_{self.username}": f"{self.key} .admin",
                "user_admin_admin": f"{self.admin_key} .admin .reseller_admin",
            },
            # tests use small segments: never slow them down
            "slo": {"rate_limit_segments_per_sec": 0},
            "dlo": {"rate_limit_segments_per_sec": 0},
        }
        sections = []
        for name in dict.fromkeys(PROXY_PIPELINE.split()[:-1]):
            entry_point = ENTRY_POINTS.get(name, name.replace("-", "_"))
            lines = [f"[filter:{name}]", f"use = egg:swift#{entry_point}"]
            lines += [f"{key} = {value}" for key, value in options.get(name, {}).items()]
            sections.append("\n".join(lines) + "\n\n")
        return "".join(sections)

    def _write(self, name, text):
        path = os.path.join(self.swift_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)


def shared_settings():
    """The shared test server's settings (``STORAGE_TEST_SWIFT``), else a private one's.

    A private server is started only when the variable is absent (tests run
    outside the test command) and stopped when the process exits.
    """
    if os.environ.get("STORAGE_TEST_SWIFT"):
        return json.loads(os.environ["STORAGE_TEST_SWIFT"])
    server = SwiftServer().start()
    atexit.register(server.stop)
    return server.env()


def start_shared(workdir):
    """Shared by the pytest and Odoo runs: ``STORAGE_TEST_SWIFT``."""
    server = SwiftServer(os.path.join(workdir, "swift")).start()
    return {"STORAGE_TEST_SWIFT": json.dumps(server.env())}
