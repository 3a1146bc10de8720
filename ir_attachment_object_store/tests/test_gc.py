# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import os
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect

from .common import ObjectStoreCase


class TestGarbageCollection(ObjectStoreCase):
    def gc(self):
        self.Attachment._gc_object_store_unsafe()

    def marked(self, data):
        fname = f"{self.backend.code}://{self.key_of(data)}"
        return fname in self.Attachment._object_store_checklist

    def test_rolled_back_create_leaves_only_an_object_the_gc_removes(self):
        data = self.unique_data()
        with contextlib.suppress(RuntimeError), self.env.cr.savepoint():
            self.create_attachment(data)
            raise RuntimeError("rollback")
        self.assertFalse(self.Attachment.search([("checksum", "=", self.key_of(data)[3:])]))
        self.assertTrue(self.driver.exists(self.key_of(data)))
        self.assertTrue(self.marked(data))
        self.gc()
        self.assertFalse(self.driver.exists(self.key_of(data)))
        self.assertFalse(self.marked(data))

    def test_failed_upload_takes_the_rows_back(self):
        count = self.Attachment.search_count([])
        with (
            patch.dict(os.environ, self.broken_backend_settings()),
            self.assertRaises(UserError) as caught,
        ):
            self.Attachment.create(
                [{"name": "a", "raw": self.unique_data()}, {"name": "b", "raw": self.unique_data()}]
            )
        self.assertIn("Could not store", str(caught.exception))
        self.assertEqual(self.Attachment.search_count([]), count)

    def test_rolled_back_unlink_loses_nothing(self):
        data = self.unique_data()
        attachment = self.create_attachment(data)
        with contextlib.suppress(RuntimeError), self.env.cr.savepoint():
            attachment.unlink()
            raise RuntimeError("rollback")
        self.assertTrue(self.marked(data))
        self.gc()
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, data)
        self.assertTrue(self.driver.exists(self.key_of(data)))

    def test_shared_object_is_kept_until_its_last_attachment_goes(self):
        data = self.unique_data()
        first, second = self.create_attachment(data), self.create_attachment(data)
        first.unlink()
        self.gc()
        self.assertEqual(self.driver.get(self.key_of(data)), data)
        second.invalidate_recordset()
        self.assertEqual(second.raw, data)
        second.unlink()
        self.gc()
        self.assertFalse(self.driver.exists(self.key_of(data)))

    def test_replaced_content_is_collected(self):
        old, new = self.unique_data(), self.unique_data(1200)
        attachment = self.create_attachment(old)
        attachment.raw = new
        self.gc()
        self.assertFalse(self.driver.exists(self.key_of(old)))
        self.assertTrue(self.driver.exists(self.key_of(new)))

    def test_gc_never_deletes_what_a_running_transaction_is_storing(self):
        """The collector runs in another connection, as in production.

        This test's transaction created the attachment and is still open: the
        collector does not see the row, only the writer's advisory lock.
        """
        data = self.unique_data()
        self.create_attachment(data)
        self.assertTrue(self.marked(data))
        with db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.attachment"]._gc_object_store_unsafe()
        self.assertTrue(self.driver.exists(self.key_of(data)))
        self.assertTrue(self.marked(data))
