# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import io
import json
import zipfile

from odoo import release
from odoo.exceptions import UserError, ValidationError

from .common import BackupCase


class TestBackup(BackupCase):
    def read_object(self, policy, key):
        return policy.backend_id._get_driver().get(key)

    def test_zip_backup_is_odoo_format_verified_and_listed(self):
        # a file in the filestore (written at once, even in a test transaction)
        attachment = self.env["ir.attachment"].create(
            {"name": "scan.pdf", "raw": b"%PDF-1.7 backup test " + self.dbname.encode()}
        )
        policy = self.new_policy(backup_format="zip")
        self.assertTrue(policy._run_backup(), policy.last_error)
        self.assertEqual(policy.last_state, "success")
        self.assertIn("filestore files", policy.last_summary)

        backup = policy.backup_ids
        self.assertEqual(len(backup), 1)
        self.assertEqual((backup.state, backup.backup_format), ("complete", "zip"))
        self.assertEqual(backup.database, self.dbname)
        manifest = json.loads(self.read_object(policy, backup.manifest_key))
        self.assertEqual(manifest, backup._read_manifest())
        archive = self.read_object(policy, backup.archive_key)
        self.assertEqual(
            manifest["files"]["backup"],
            {
                "key": backup.archive_key,
                "size": len(archive),
                "sha256": hashlib.sha256(archive).hexdigest(),
            },
        )
        self.assertEqual(backup.size, len(archive))
        self.assertEqual(manifest["database"], self.dbname)
        self.assertEqual(manifest["odoo_version"], release.version)
        # modules as committed (this one is being installed by the test run)
        self.assertIn("storage_backend", manifest["modules"])
        self.assertEqual((manifest["format"], manifest["encrypted"]), ("zip", False))
        self.assertTrue(manifest["created_at"].endswith("+00:00"))

        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            self.assertIsNone(zipped.testzip())
            names = zipped.namelist()
            self.assertEqual(names[:2], ["manifest.json", "dump.sql"])
            odoo_manifest = json.loads(zipped.read("manifest.json"))
            self.assertEqual(odoo_manifest["odoo_dump"], "1")
            self.assertEqual(odoo_manifest["db_name"], self.dbname)
            self.assertEqual(odoo_manifest["modules"], manifest["modules"])
            with zipped.open("dump.sql") as dump:
                head = dump.read(1024 * 1024)
            self.assertIn(b"PostgreSQL database dump", head)
            self.assertEqual(zipped.read(f"filestore/{attachment.store_fname}"), attachment.raw)
            files = [name for name in names if name.startswith("filestore/")]
            self.assertEqual(len(files), manifest["filestore"]["files"])

    def test_dump_backup(self):
        policy = self.new_policy(backup_format="dump", verify_read_back=True)
        self.assertTrue(policy._run_backup(), policy.last_error)
        backup = policy.backup_ids
        archive = self.read_object(policy, backup.archive_key)
        self.assertTrue(archive.startswith(b"PGDMP"))  # pg_dump's custom format
        self.assertTrue(backup.archive_key.endswith(".dump"))
        manifest = backup._read_manifest()
        self.assertEqual(manifest["verified"], "sha256 read back")
        self.assertIsNone(manifest["filestore"])
        self.assertEqual(manifest["files"]["backup"]["sha256"], hashlib.sha256(archive).hexdigest())
        self.assertEqual(
            self.keys_of(policy), [f"{backup.name}.dump", f"{backup.name}.manifest.json"]
        )

    def test_encrypted_backup(self):
        if "encrypt_files" not in self.env["storage.backend"]._fields:
            self.skipTest("storage_keymanager is not installed")
        from odoo.addons.storage_keymanager.tests.common import master_keys

        with master_keys("k1"):
            backend = self.new_backend(encrypt_files=True)
            policy = self.new_policy(backend, backup_format="zip", verify_read_back=True)
            self.assertTrue(policy._run_backup(), policy.last_error)
            backup = policy.backup_ids
            manifest = backup._read_manifest()
            self.assertTrue(manifest["encrypted"])
            archive = self.read_object(policy, backup.archive_key)  # decrypted
            self.assertTrue(archive.startswith(b"PK\x03\x04"))
            self.assertEqual(
                manifest["files"]["backup"]["sha256"], hashlib.sha256(archive).hexdigest()
            )
        # at rest, the archive and its manifest are ciphertext
        prefix = f"{backend.directory_path}/"
        for key in (backup.archive_key, backup.manifest_key):
            stored = self.bucket_driver.get(prefix + key)
            self.assertNotIn(b"dump.sql", stored)
            self.assertNotIn(self.dbname.encode(), stored)
        # another key: nothing to restore from, refused before any database is made
        with master_keys("k2"), self.assertRaisesRegex(UserError, "not configured"):
            backup._restore(f"{self.dbname}_never")

    def test_each_policy_has_its_scheduled_action(self):
        policy = self.new_policy(backup_format="dump", interval_number=6, interval_type="hours")
        cron = policy.cron_id
        self.assertEqual((cron.interval_number, cron.interval_type), (6, "hours"))
        self.assertEqual(cron.name, f"Backup: {policy.name}")
        policy.write({"interval_number": 1, "interval_type": "days", "name": "Nightly"})
        self.assertEqual(
            (cron.interval_number, cron.interval_type, cron.name), (1, "days", "Backup: Nightly")
        )
        with self.assertRaises(ValidationError):
            policy.interval_number = 0
        with self.assertRaises(ValidationError):
            self.new_policy(interval_number=0)

        policy.action_backup_now()  # runs the scheduled action at once
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        cron.method_direct_trigger()  # what the scheduler does
        self.assertEqual((policy.last_state, len(policy.backup_ids)), ("success", 1))

        policy.active = False
        self.assertFalse(cron.active)
        with self.assertRaises(UserError):
            policy.action_backup_now()
        policy.unlink()
        self.assertFalse(cron.exists())
