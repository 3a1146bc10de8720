# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import unittest
import uuid
from datetime import datetime

from odoo.tests.common import TransactionCase


class TestBackupOnSwift(TransactionCase):
    """The same policies on a real OpenStack Swift (the test command's, else a private one)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "swift_auth_url" not in cls.env["storage.backend"]._fields:
            raise unittest.SkipTest("storage_backend_swift is not installed")
        from harness.swift import shared_settings

        swift = shared_settings()
        cls.backend = cls.env["storage.backend"].create(
            {
                "name": "Swift backups",
                "code": f"w{uuid.uuid4().hex[:10]}",
                "backend_type": "swift",
                "swift_auth_version": "1",
                "swift_auth_url": swift["auth_url"],
                "swift_user": swift["user"],
                "swift_key": swift["key"],
                "swift_container_prefix": f"B{uuid.uuid4().hex[:8]}",
            }
        )

    def test_backup_list_verify_and_retention(self):
        policy = self.env["storage.backup.policy"].create(
            {
                "name": "On Swift",
                "backend_id": self.backend.id,
                "backup_format": "zip",
                "verify_read_back": True,
                "keep_daily": 1,
                "keep_weekly": 0,
                "keep_monthly": 0,
            }
        )
        self.assertTrue(policy._run_backup(datetime(2024, 1, 1)), policy.last_error)
        self.assertTrue(policy._run_backup(datetime(2024, 1, 2)), policy.last_error)
        backup = policy.backup_ids  # the first one is gone: one daily backup kept
        self.assertEqual(backup.name, f"{self.env.cr.dbname}_20240102T000000Z")
        driver = self.backend._get_driver()
        prefix = policy._backup_prefix()
        self.assertEqual(
            sorted(driver.list(prefix)),
            [f"{prefix}{backup.name}.manifest.json", f"{prefix}{backup.name}.zip"],
        )
        archive = driver.get(backup.archive_key)
        self.assertTrue(archive.startswith(b"PK\x03\x04"))
        manifest = backup._read_manifest()
        self.assertEqual(manifest["files"]["backup"]["sha256"], hashlib.sha256(archive).hexdigest())
        self.assertEqual(backup.size, len(archive))
