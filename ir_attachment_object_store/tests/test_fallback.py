# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os

from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .common import ObjectStoreCase, PrivateServerBackend

LOGGER = "odoo.addons.ir_attachment_object_store.models.ir_attachment"


class TestFallback(ObjectStoreCase):
    def test_missing_object_is_read_from_the_local_copy_and_logged_once(self):
        data = self.unique_data()
        attachment = self.create_attachment(data)
        self.local_copy(data)
        self.driver.delete(self.key_of(data))
        with self.assertLogs(LOGGER, "WARNING") as logs:
            for __ in range(3):
                attachment.invalidate_recordset()
                self.assertEqual(attachment.raw, data)
        self.assertEqual(len(logs.output), 1)
        self.assertIn("serving files from the local filestore", logs.output[0])

    def test_filestore_name_missing_locally_is_read_from_the_backend(self):
        data = self.unique_data()
        self.use_location("file")
        attachment = self.create_attachment(data)
        path = self.Attachment._full_path(attachment.store_fname)
        self.use_location(self.backend.code)
        self.driver.put(attachment.store_fname, data)
        os.remove(path)
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, data)

    @mute_logger(LOGGER, "odoo.addons.base.models.ir_attachment")
    def test_missing_everywhere_reads_empty_as_core_does(self):
        attachment = self.create_attachment(self.unique_data())
        self.driver.delete(attachment.store_fname.split("://")[1])
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, b"")


class TestFallbackServerDown(PrivateServerBackend, ObjectStoreCase):
    """A real FTP server, stopped for real."""

    def setUp(self):
        super().setUp()
        self.driver.retries = 0  # fail fast once the server is down

    def test_reads_served_from_disk_while_the_server_is_down(self):
        data = self.unique_data()
        attachment = self.create_attachment(data)
        self.local_copy(data)
        self.server.kill()
        try:
            with self.assertLogs(LOGGER, "WARNING"):
                attachment.invalidate_recordset()
                self.assertEqual(attachment.raw, data)
        finally:
            self.server.start()
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, data)

    def test_server_down_without_local_copy_raises(self):
        attachment = self.create_attachment(self.unique_data())
        self.server.kill()
        try:
            attachment.invalidate_recordset()
            with self.assertRaisesRegex(UserError, "unavailable"):
                self.assertFalse(attachment.raw)
            with self.assertRaisesRegex(UserError, "Could not store"):
                self.create_attachment(self.unique_data())
        finally:
            self.server.start()
