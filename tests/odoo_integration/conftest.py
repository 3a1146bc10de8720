"""A real Odoo for tests that need whole processes: CLI commands, the server."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from harness import odoo as odoo_tools
from harness.postgres import Postgres
from harness.process import Process, free_port, tail

MASTER_PASSWORD = "integration-master"
DIRECTORY = "attachments"

SETUP = f"""
import hashlib, json
env["storage.backend"].create({{
    "name": "Files", "code": "files", "backend_type": "filesystem",
    "directory_path": "{DIRECTORY}",
}})
env["ir.config_parameter"].set_param("ir_attachment.location", "files")
payloads = [hashlib.sha256(str(i).encode()).digest() * (200 + i) for i in range(6)]
records = env["ir.attachment"].create(
    [{{"name": f"f{{i}}", "raw": data, "mimetype": "application/pdf"}}
     for i, data in enumerate(payloads)]
)
env.cr.commit()
print("RESULT", json.dumps(records.mapped("store_fname")))
"""


class OdooInstance:
    def __init__(self, odoo_src, directory, postgres):
        self.odoo_src = odoo_src
        self.directory = directory
        self.data_dir = os.path.join(directory, "data")
        self.http_port = free_port()
        self.config = odoo_tools.write_config(
            os.path.join(directory, "odoo.conf"),
            odoo_src,
            postgres,
            self.data_dir,
            http_port=self.http_port,
            admin_passwd=MASTER_PASSWORD,
            server_wide_modules="base,web,ir_attachment_object_store",
        )
        self.addons_path = (
            f"--addons-path={odoo_src}/odoo/addons,{odoo_src}/addons,{odoo_tools.ROOT}"
        )
        self.server = None

    def _odoo_bin(self, args, stdin, timeout, env=None):
        command = [sys.executable, f"{self.odoo_src}/odoo-bin", self.addons_path, *args]
        env = dict(os.environ, **(env or {}), PYTHONPATH=str(odoo_tools.ROOT))
        return subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.directory,
        )

    def run(self, *args, stdin=None, timeout=600, env=None):
        """Run odoo-bin; its output (stdout, then stderr) is returned, and shown when it fails.

        ``env`` adds or replaces environment variables.
        """
        result = self._odoo_bin(args, stdin, timeout, env)
        if result.returncode:
            raise AssertionError(f"{' '.join(args[:3])} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout + result.stderr

    def run_failing(self, *args, timeout=600, env=None):
        """Run odoo-bin, which must fail; its output (stdout, then stderr) is returned.

        ``env`` adds or replaces environment variables.
        """
        result = self._odoo_bin(args, None, timeout, env)
        if not result.returncode:
            raise AssertionError(f"{' '.join(args[:3])} succeeded:\n{result.stdout}")
        return result.stdout + result.stderr

    def shell(self, database, code, env=None):
        return self.run(
            "shell", "-c", self.config, "-d", database, "--no-http", stdin=code, env=env
        )

    def storage_root(self, database, directory):
        return os.path.join(self.data_dir, "storage", database, directory)

    def start_server(self):
        """Start the server once for the whole session."""
        if self.server is not None and self.server.poll() is None:
            return
        env = dict(os.environ, PYTHONPATH=str(odoo_tools.ROOT))
        self.server = Process(
            "odoo",
            [sys.executable, f"{self.odoo_src}/odoo-bin", "-c", self.config],
            os.path.join(self.directory, "server.log"),
            env=env,
            cwd=self.directory,
        ).start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/web/database/selector", timeout=5)
                return
            except OSError:
                if self.server.poll() is not None:
                    break
                time.sleep(0.5)
        raise AssertionError(f"Odoo did not start:\n{tail(self.server.log_path)}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"


@pytest.fixture(scope="session")
def odoo_instance():
    odoo_src, reason = odoo_tools.odoo_source()
    if odoo_src is None:
        pytest.skip(f"ODOO INTEGRATION TESTS SKIPPED: {reason}")
    directory = tempfile.mkdtemp(prefix="storage-odoo-it-")
    os.chmod(directory, 0o755)  # the postgres user reaches its data directory
    postgres = Postgres(os.path.join(directory, "postgres")).start()
    instance = OdooInstance(odoo_src, directory, postgres)
    yield instance
    if instance.server is not None:
        instance.server.stop()
    postgres.stop()
    shutil.rmtree(directory, ignore_errors=True)


def result_of(output):
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def objects(odoo, database):
    root = odoo.storage_root(database, DIRECTORY)
    return {
        f"{folder}/{name}"
        for folder in (os.listdir(root) if os.path.isdir(root) else [])
        for name in os.listdir(os.path.join(root, folder))
    }


@pytest.fixture(scope="session")
def source_db(odoo_instance):
    odoo_instance.run(
        "-c",
        odoo_instance.config,
        "-d",
        "src",
        "-i",
        "ir_attachment_object_store",
        "--without-demo=all",
        "--stop-after-init",
    )
    fnames = result_of(odoo_instance.shell("src", SETUP))
    keys = {fname.split("://")[1] for fname in fnames}
    assert objects(odoo_instance, "src") == keys
    return keys
