"""A real S3 server (SeaweedFS ``weed mini``) in its own process on 127.0.0.1.

Every component binds 127.0.0.1 on a port picked here (none keeps its
default), telemetry is off, and S3 requests must be signed with the generated
key pair: a wrong secret is refused as it would be by AWS.
"""

import atexit
import json
import os
import random
import secrets
import socket
import tempfile
import time
import urllib.request

from .process import Process, ServerBase, free_port, services_bin, wait_for_port

# weed derives a gRPC port as HTTP port + 10000; some of its clients dial that
# derived port even when told another one, so each pair is chosen that way.
GRPC_OFFSET = 10000
COMPONENTS = ("master", "volume", "filer", "s3", "admin")


def _port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _port_pair():
    """A free port whose +10000 companion is free too.

    Taken below the kernel's ephemeral range when possible: a port the
    kernel hands out for ``bind(0)`` (our own ``free_port()``, any client)
    could be taken by another process while the server is down between a
    ``kill()`` and a ``start()`` on the same ports.
    """
    high = _ephemeral_low() - GRPC_OFFSET
    for __ in range(200):
        port = random.randrange(10000, high) if high > 11000 else free_port()
        if port + GRPC_OFFSET < 65536 and _port_is_free(port) and _port_is_free(port + GRPC_OFFSET):
            return port
    raise RuntimeError("no free pair of ports for SeaweedFS")


class SeaweedFS(ServerBase):
    region = "us-east-1"

    def __init__(self, parent=None):
        self.directory = tempfile.mkdtemp(prefix="storage-seaweedfs-", dir=parent)
        self.data_dir = os.path.join(self.directory, "data")
        os.makedirs(self.data_dir)
        self.ports = {}
        for component in COMPONENTS:
            port = _port_pair()
            self.ports[f"{component}.port"] = port
            self.ports[f"{component}.port.grpc"] = port + GRPC_OFFSET
        self.access_key = f"storage{secrets.token_hex(6)}"
        self.secret_key = secrets.token_hex(20)
        self.process = None

    @property
    def port(self):
        return self.ports["s3.port"]

    @property
    def endpoint_url(self):
        return f"http://127.0.0.1:{self.port}"

    def settings(self):
        """What clients need, as announced in ``STORAGE_TEST_S3``."""
        return {
            "server": "seaweedfs",
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "region": self.region,
        }

    def _write_s3_config(self):
        identities = {
            "identities": [
                {
                    "name": "storage-tests",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        path = os.path.join(self.directory, "s3.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(identities, handle)
        return path

    def start(self, timeout=60.0):
        """Start (or restart after :meth:`kill`, same data and ports); wait until usable."""
        argv = [
            services_bin("weed"),
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-s3.config={self._write_s3_config()}",
            # a missing bucket must stay missing, as on AWS
            "-s3.autoCreateBucket=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-volume.preStopSeconds=0",  # stop at once
            f"-filer.localSocket={os.path.join(self.directory, 'filer.sock')}",
            f"-s3.localSocket={os.path.join(self.directory, 's3.sock')}",
            *(f"-{name}={port}" for name, port in sorted(self.ports.items())),
        ]
        self.process = Process(
            "seaweedfs", argv, os.path.join(self.directory, "seaweedfs.log"), cwd=self.directory
        ).start()
        try:
            wait_for_port(self.port, timeout=timeout, process=self.process)
            self._wait_until_ready(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_until_ready(self, timeout):
        """``/healthz`` first, then a real write through the filer until it works.

        The S3 gateway answers before the volume server has registered with
        the master: the first writes then fail for a second or two.
        """
        deadline = time.monotonic() + timeout
        probe = f"http://127.0.0.1:{self.ports['filer.port']}/.storage-harness/probe"
        for url, method, data in (
            (f"{self.endpoint_url}/healthz", "GET", None),
            (probe, "PUT", b"ready"),
            (probe, "DELETE", None),
        ):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.describe_failure())
                request = urllib.request.Request(url, data=data, method=method)
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        response.read()
                    break
                except OSError as error:  # refused, reset, or an HTTP error status
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"SeaweedFS not ready: {method} {url}: {error}"
                        ) from None
                    time.sleep(0.2)


def shared_settings():
    """The shared test server's settings (``STORAGE_TEST_S3``), else a private one's.

    A private server is started only when the variable is absent (tests run
    outside the test command) and stopped when the process exits.
    """
    if os.environ.get("STORAGE_TEST_S3"):
        return json.loads(os.environ["STORAGE_TEST_S3"])
    server = SeaweedFS().start()
    atexit.register(server.stop)
    return server.settings()


def bucket_driver(settings, bucket, **options):
    """An S3 driver on ``bucket`` of the server of ``settings``, outside any backend."""
    from .drivers import module

    return module("s3").S3Driver(
        bucket,
        endpoint_url=settings["endpoint_url"],
        region=settings["region"],
        access_key=settings["access_key"],
        secret_key=settings["secret_key"],
        **options,
    )


def created_bucket(settings, bucket, **options):
    """:func:`bucket_driver` of a bucket created now (its check creates it)."""
    driver = bucket_driver(settings, bucket, create_bucket=True, **options)
    check = driver.check()
    if not check.ok:
        driver.close()
        raise RuntimeError(f"cannot create bucket {bucket}: {check.message}")
    return driver


def start_shared(workdir):
    """Shared by the pytest and Odoo runs: ``STORAGE_TEST_S3``.

    Stopped with every harness process at exit, its files with ``workdir``.
    """
    server = SeaweedFS(parent=workdir).start()
    return {"STORAGE_TEST_S3": json.dumps(server.settings())}
