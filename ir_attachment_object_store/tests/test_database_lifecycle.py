# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
import shutil

import odoo.cli.db as cli_db
import odoo.service.db as db_service
from odoo.tools import config

from ..db_lifecycle import exp_drop, purge_space
from ..tools.parameters import COPY_SOURCE_PARAM, OWNER_PARAM
from .common import ObjectStoreCase


class LifecycleCase(ObjectStoreCase):
    def setUp(self):
        super().setUp()
        for dbname in ("original_db", "other_db"):
            root = os.path.join(config["data_dir"], "storage", dbname)
            self.addCleanup(shutil.rmtree, root, ignore_errors=True)


class TestCopiedDatabase(LifecycleCase):
    """This database pretends to be a copy of a database named ``original_db``."""

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.payloads = [self.unique_data(1000 + i) for i in range(5)]
        self.attachments = self.Attachment.create(
            [{"name": "f", "raw": data, "mimetype": "application/pdf"} for data in self.payloads]
        )
        # the objects live in the original's space, as right after a duplicate
        self.original = self.backend._attachment_driver("original_db")
        for data in self.payloads:
            key = self.key_of(data)
            self.driver.copy_to(self.original, key)
            self.driver.delete(key)
        self.params.set_param(OWNER_PARAM, "original_db")

    def test_copy_is_detected_read_from_the_original_then_copied(self):
        self.Attachment._object_store_check_copied_database()
        self.assertEqual(self.params.get_param(OWNER_PARAM), self.env.cr.dbname)
        self.assertEqual(self.params.get_param(COPY_SOURCE_PARAM), "original_db")
        job = self.env["ir.attachment.migration"].search([("kind", "=", "copy")])
        self.assertEqual((job.state, job.source_dbname), ("queued", "original_db"))

        self.attachments.invalidate_recordset()
        self.assertEqual(self.attachments.mapped("raw"), self.payloads)  # from the original

        self.patch(self.env.cr, "commit", lambda: None)
        self.env["ir.attachment.migration"]._cron_run()
        self.assertEqual(job.state, "done")
        self.assertEqual((job.done_count, job.total_count), (5, 5))
        self.assertFalse(self.params.get_param(COPY_SOURCE_PARAM))
        for data in self.payloads:
            self.assertEqual(self.driver.get(self.key_of(data)), data)
            self.assertEqual(self.original.get(self.key_of(data)), data)  # left as it was

        # the copy collects its own garbage, never the original's
        self.attachments[0].unlink()
        self.Attachment._gc_object_store_unsafe()
        self.assertFalse(self.driver.exists(self.key_of(self.payloads[0])))
        self.assertTrue(self.original.exists(self.key_of(self.payloads[0])))

    def test_nothing_to_copy_without_remote_files(self):
        self.attachments.unlink()
        self.Attachment._object_store_check_copied_database()
        self.assertFalse(self.params.get_param(COPY_SOURCE_PARAM))
        self.assertFalse(self.env["ir.attachment.migration"].search([("kind", "=", "copy")]))
        self.assertEqual(self.params.get_param(OWNER_PARAM), self.env.cr.dbname)


class TestDroppedDatabase(LifecycleCase):
    def test_exp_drop_is_wrapped_for_the_manager_and_the_command_line(self):
        self.assertIs(db_service.exp_drop, exp_drop)
        self.assertIs(cli_db.exp_drop, exp_drop)

    def test_purge_deletes_only_this_databases_attachment_objects(self):
        data = self.unique_data()
        self.create_attachment(data)
        self.driver.put("backups/db.zip", b"not an attachment")
        other_database = self.backend._attachment_driver("other_db")
        other_database.put(self.key_of(data), data)
        kept = self.env["storage.backend"].create(
            {
                "name": "Kept",
                "code": "kept_on_drop",
                "backend_type": "filesystem",
                "directory_path": f"{self.folder}/kept",
                "keep_objects_on_drop": True,
            }
        )
        spaces = dict(self.Attachment._object_store_spaces_to_purge())
        self.assertIn(self.backend.display_name, spaces)
        self.assertNotIn(kept.display_name, spaces)
        self.assertEqual(
            purge_space(self.backend.display_name, spaces[self.backend.display_name]), 1
        )
        self.assertFalse(self.driver.exists(self.key_of(data)))
        self.assertTrue(self.driver.exists("backups/db.zip"))
        self.assertTrue(other_database.exists(self.key_of(data)))
