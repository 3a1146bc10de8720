# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.addons.ir_attachment_object_store.tests.common import ObjectStoreCase
from odoo.addons.ir_attachment_object_store.tools.parameters import (
    COPY_SOURCE_PARAM,
    OWNER_PARAM,
)
from odoo.addons.storage_backup.tools.restore import RESTORED_OBJECTS_PARAM


class TestBackupObjects(ObjectStoreCase):
    """Backups find the attachment objects of this database; restored objects
    belong to the restored database."""

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"]
        self.data = self.unique_data()
        self.attachment = self.create_attachment(self.data)
        self.assertEqual(
            self.attachment.store_fname, f"{self.backend.code}://{self.key_of(self.data)}"
        )

    def new_policy(self, **values):
        return self.env["storage.backup.policy"].create(
            {"name": "Objects", "backend_id": self.backend.id, **values}
        )

    def test_policy_without_objects_saves_none(self):
        self.assertIsNone(self.new_policy()._backup_object_drivers())

    def test_objects_are_read_from_this_database_space(self):
        drivers = self.new_policy(include_objects=True)._backup_object_drivers()
        self.assertEqual(list(drivers), [self.backend.code])
        [space] = drivers[self.backend.code]
        self.assertEqual(space.get(self.key_of(self.data)), self.data)

    def test_a_copy_also_reads_the_original_space(self):
        self.params.set_param(COPY_SOURCE_PARAM, "original_db")
        drivers = self.new_policy(include_objects=True)._backup_object_drivers()
        own, original = drivers[self.backend.code]
        self.assertEqual(own.get(self.key_of(self.data)), self.data)
        other = self.unique_data()
        self.backend._attachment_driver("original_db").put(self.key_of(other), other)
        self.addCleanup(original.delete, self.key_of(other))
        self.assertEqual(original.get(self.key_of(other)), other)
        self.assertFalse(own.exists(self.key_of(other)))

    def test_unknown_backend_is_left_out(self):
        self.env.cr.execute(
            "UPDATE ir_attachment SET store_fname = 'gone://ab/cd' WHERE id = %s",
            [self.attachment.id],
        )
        drivers = self.new_policy(include_objects=True)._backup_object_drivers()
        self.assertNotIn("gone", drivers)

    def test_restore_stores_objects_in_the_attachment_space(self):
        space = self.backend._backup_object_space()
        self.assertEqual(space.get(self.key_of(self.data)), self.data)

    def test_restored_database_claims_its_space(self):
        """Restored with its objects, a copy of another database copies nothing."""
        self.params.set_param(OWNER_PARAM, "original_db")
        self.params.set_param(RESTORED_OBJECTS_PARAM, self.env.cr.dbname)
        self.Attachment._object_store_check_copied_database()
        self.assertEqual(self.params.get_param(OWNER_PARAM), self.env.cr.dbname)
        self.assertFalse(self.params.get_param(COPY_SOURCE_PARAM))
        self.assertFalse(self.params.get_param(RESTORED_OBJECTS_PARAM))
        self.assertFalse(self.env["ir.attachment.migration"].search([("kind", "=", "copy")]))

    def test_other_copies_still_copy_their_objects(self):
        self.params.set_param(OWNER_PARAM, "original_db")
        self.params.set_param(RESTORED_OBJECTS_PARAM, "another_db")  # not this one's
        self.Attachment._object_store_check_copied_database()
        self.assertEqual(self.params.get_param(COPY_SOURCE_PARAM), "original_db")
        copies = self.env["ir.attachment.migration"].search([("kind", "=", "copy")])
        self.assertEqual(copies.mapped("source_dbname"), ["original_db"])
