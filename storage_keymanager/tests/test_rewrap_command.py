# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
import subprocess
import sys
import uuid
from pathlib import Path
from unittest.mock import patch

import odoo
from odoo.tests import tagged
from odoo.tools import config

from .common import MATERIAL, SECRET, KeyManagerCase


@tagged("post_install", "-at_install")
class TestRewrapCommand(KeyManagerCase):
    """``odoo-bin storage-rewrap`` in its own process, on the default backend.

    Post-install: the command opens the database itself, so it must be fully
    installed and committed. It only sees committed rows, hence the default
    backend, encrypted here through the server configuration.
    """

    def test_command_rewraps_and_the_old_key_can_be_retired(self):
        backend = self.env.ref("storage_backend.default_backend")
        prefix = f"test-rewrap-{uuid.uuid4().hex[:8]}"
        self.use_keys("k1")
        self.start_patch(patch.dict(os.environ, {"STORAGE_BACKEND_LOCAL_ENCRYPT_FILES": "1"}))
        paths = [f"{prefix}/{index}" for index in range(3)]
        for path in paths:
            backend.add(path, SECRET)
        self.addCleanup(lambda: [backend.delete(path) for path in paths])

        keys = " ".join(f"{key_id}:{material}" for key_id, material in MATERIAL.items())
        result = run_rewrap(
            ["--backend", "local", "--prefix", f"{prefix}/", "--concurrency", "2"],
            {"STORAGE_KEYMANAGER_MASTER_KEYS": keys},
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assertIn("3 objects (3 rewrapped in place), 0 failed", result.stdout)
        for material in MATERIAL.values():
            self.assertNotIn(material, result.stdout + result.stderr)

        self.use_keys("k2")
        for path in paths:
            self.assertEqual(self.slot_ids(backend, path), ["k2"])
            self.assertEqual(backend.get(path), SECRET)

    def test_command_requires_a_backend(self):
        result = run_rewrap([], {})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--backend CODE are required", result.stderr)


def run_rewrap(arguments, variables):
    """``odoo-bin storage-rewrap`` on the test database, in its own process."""
    odoo_bin = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    return subprocess.run(
        [
            sys.executable,
            str(odoo_bin),
            f"--addons-path={config['addons_path']}",
            "storage-rewrap",
            "-c",
            config.rcfile,
            "-d",
            odoo.tests.common.get_db_name(),
            "--log-level=warn",
            *arguments,
        ],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
