# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
import os
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError

from odoo.addons.storage_backend.storage_drivers.envelope import MAGIC

from .common import SECRET, KeyManagerCase


class TestEncryptedBackend(KeyManagerCase):
    def test_files_are_encrypted_at_rest(self):
        self.use_keys("k1")
        backend = self.new_backend(encrypt_files=True)
        plaintext = SECRET * 40
        backend.add("hr/payroll.csv", io.BytesIO(plaintext))
        at_rest = self.stored_bytes(backend, "hr/payroll.csv")
        self.assertTrue(at_rest.startswith(MAGIC))
        self.assertNotIn(SECRET[:16], at_rest)
        self.assertEqual(backend.get("hr/payroll.csv"), plaintext)
        driver = backend._get_driver()
        self.assertEqual(driver.stat("hr/payroll.csv").size, len(plaintext))
        with driver.open("hr/payroll.csv") as stream:
            self.assertEqual(stream.read(len(SECRET)), SECRET)
        self.assertIn("(encrypted)", backend.location)
        self.assertEqual(backend.master_key_id, "k1")
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("an encrypted probe read back correctly", action["params"]["message"])

    def test_switching_encryption_keeps_every_file_readable(self):
        self.use_keys("k1")
        backend = self.new_backend()
        backend.add("before", b"stored in clear")
        backend.encrypt_files = True
        backend.add("during", b"stored encrypted")
        backend.encrypt_files = False
        backend.add("after", b"in clear again")
        self.assertEqual(self.stored_bytes(backend, "before"), b"stored in clear")
        self.assertTrue(self.stored_bytes(backend, "during").startswith(MAGIC))
        self.assertEqual(self.stored_bytes(backend, "after"), b"in clear again")
        for path, data in [
            ("before", b"stored in clear"),
            ("during", b"stored encrypted"),
            ("after", b"in clear again"),
        ]:
            self.assertEqual(backend.get(path), data)
        self.assertEqual(backend.list_files(), ["after", "before", "during"])

    def test_encryption_needs_a_master_key(self):
        with self.assertRaisesRegex(ValidationError, "STORAGE_KEYMANAGER_MASTER_KEYS"):
            self.new_backend(encrypt_files=True)
        backend = self.new_backend()
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_ENCRYPT_FILES"
        with (
            patch.dict(os.environ, {variable: "1"}),
            self.assertRaisesRegex(UserError, "needs a master key"),
        ):
            backend.add("file", b"x")

    def test_encryption_switched_on_in_the_server_configuration(self):
        self.use_keys("k1")
        backend = self.new_backend()
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_ENCRYPT_FILES"
        with patch.dict(os.environ, {variable: "true"}):
            self.assertIn(" encrypt_files ", backend.server_env_fields)
            backend.add("file", SECRET)
        self.assertTrue(self.stored_bytes(backend, "file").startswith(MAGIC))
        self.assertEqual(backend.get("file"), SECRET)

    def test_rotation_rewrap_and_retiring_the_old_key(self):
        self.use_keys("k1")
        backend = self.new_backend(encrypt_files=True)
        old_files = {f"old/{index}": SECRET * index for index in range(1, 4)}
        for path, data in old_files.items():
            backend.add(path, data)
        # a file from before encryption was switched on
        with open(os.path.join(self.root_of(backend), "plain"), "wb") as handle:
            handle.write(b"clear")

        self.use_keys("k1", "k2")  # k2 becomes current
        backend.add("new", SECRET)
        self.assertEqual(self.slot_ids(backend, "new"), ["k2"])
        self.assertEqual(backend.get("old/2"), old_files["old/2"])

        self.use_keys("k2")  # retiring k1 too early
        with self.assertRaisesRegex(UserError, "master key 'k1'"):
            backend.get("old/2")

        self.use_keys("k1", "k2")
        report = backend._rewrap()
        self.assertEqual(report.failed, 0)
        self.assertEqual(report.keys_found, {"k1": 3, "k2": 1})
        self.assertIn("3 rewrapped in place", backend.rewrap_summary)
        self.assertTrue(backend.rewrap_date)

        self.use_keys("k2")
        for path, data in old_files.items():
            self.assertEqual(backend.get(path), data)
            self.assertEqual(self.slot_ids(backend, path), ["k2"])
        self.assertEqual(backend.get("plain"), b"clear")

    def test_rewrap_action_runs_in_the_background(self):
        backend = self.new_backend()
        with self.assertRaisesRegex(UserError, "needs a master key"):
            backend.action_rewrap()
        self.use_keys("k1")
        backend.write({"encrypt_files": True})
        backend.add("x", SECRET)
        self.use_keys("k1", "k2")
        action = backend.action_rewrap()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("k2", action["params"]["message"])
        self.assertTrue(backend.rewrap_requested)
        cron = self.env.ref("storage_keymanager.ir_cron_storage_rewrap")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.env["storage.backend"]._cron_rewrap()
        self.assertFalse(backend.rewrap_requested)
        self.assertIn("1 rewrapped in place", backend.rewrap_summary)
        self.assertEqual(self.slot_ids(backend, "x"), ["k2"])
