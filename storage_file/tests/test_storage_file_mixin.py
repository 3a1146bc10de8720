# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io

from odoo_test_helper import FakeModelLoader

from .common import StorageFileCase


class TestStorageFileMixin(StorageFileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loader = FakeModelLoader(cls.env, cls.__module__)
        cls.loader.backup_registry()
        from .fake_models import StorageFileTestRecord

        cls.loader.update_registry((StorageFileTestRecord,))
        cls.addClassCleanup(cls.loader.restore_registry)

    def test_attach_files_to_a_record(self):
        record = self.env["storage.file.test.record"].create({"name": "Invoice 42"})
        pdf = record._storage_file_add("invoice.pdf", io.BytesIO(b"%PDF-1.7"), self.backend)
        note = record._storage_file_add("note.txt", base64.b64encode(b"paid"), self.backend)
        self.assertEqual((pdf.res_model, pdf.res_id), (record._name, record.id))
        self.assertEqual(record.storage_file_ids, pdf | note)
        self.assertEqual(record.storage_file_count, 2)
        self.assertMetadataMatchesObject(pdf)
        other = self.env["storage.file.test.record"].create({"name": "Other"})
        self.assertFalse(other.storage_file_ids)

    def test_files_are_deleted_with_their_record(self):
        record = self.env["storage.file.test.record"].create({"name": "Temporary"})
        storage_file = record._storage_file_add("tmp.txt", io.BytesIO(b"tmp"), self.backend)
        record.unlink()
        self.assertTrue(storage_file.to_delete)
        self.Files._gc_storage_files_unsafe()
        self.assertFalse(storage_file.exists())
        self.assertEqual(self.stored_objects(), [])
