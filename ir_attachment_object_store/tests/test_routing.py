# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import json
import os

from odoo.exceptions import ValidationError

from .common import ObjectStoreCase


class TestRouting(ObjectStoreCase):
    def test_new_attachments_go_to_the_backend(self):
        data = self.unique_data()
        attachment = self.create_attachment(data)
        key = self.key_of(data)
        self.assertEqual(attachment.store_fname, f"{self.backend.code}://{key}")
        self.assertFalse(attachment.db_datas)
        self.assertEqual(self.driver.get(key), data)
        self.assertFalse(os.path.exists(self.Attachment._full_path(key)))
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, data)
        self.assertEqual(base64.b64decode(attachment.datas), data)

    def test_reads_follow_store_fname_not_the_parameter(self):
        remote = self.create_attachment(self.unique_data())
        self.use_location("file")
        local = self.create_attachment(self.unique_data())
        self.assertFalse(local.store_fname.startswith(self.backend.code))
        self.assertTrue(os.path.exists(self.Attachment._full_path(local.store_fname)))
        self.use_location("db")
        in_db = self.create_attachment(self.unique_data())
        self.assertFalse(in_db.store_fname)
        self.use_location(self.backend.code)
        (remote | local | in_db).invalidate_recordset()
        for attachment in remote | local | in_db:
            self.assertEqual(len(attachment.raw), 1000)

    def test_unknown_location_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.use_location("no_such_backend")
        self.assertIn("no_such_backend", str(caught.exception))
        self.assertIn(self.backend.code, str(caught.exception))
        self.assertEqual(self.Attachment._storage(), self.backend.code)

    def test_identical_content_shares_one_object(self):
        data = self.unique_data()
        first, second = self.create_attachment(data), self.create_attachment(data)
        self.assertEqual(first.store_fname, second.store_fname)
        self.assertEqual(list(self.driver.list(self.key_of(data))), [self.key_of(data)])

    def test_create_many_at_once(self):
        payloads = [self.unique_data(2000 + index) for index in range(20)]
        attachments = self.Attachment.create(
            [
                {"name": f"f{i}", "raw": data, "mimetype": "application/pdf"}
                for i, data in enumerate(payloads)
            ]
        )
        attachments.invalidate_recordset()
        for attachment, data in zip(attachments, payloads, strict=True):
            self.assertTrue(attachment.store_fname.startswith(f"{self.backend.code}://"))
            self.assertEqual(self.driver.get(self.key_of(data)), data)
            self.assertEqual(attachment.raw, data)

    def test_replace_content(self):
        attachment = self.create_attachment(self.unique_data())
        new = self.unique_data(1500)
        attachment.write({"raw": new})
        self.assertEqual(attachment.store_fname, f"{self.backend.code}://{self.key_of(new)}")
        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, new)
        self.assertEqual(attachment.file_size, 1500)

    def test_small_images_and_assets_stay_in_the_database(self):
        small_png = self.create_attachment(self.unique_data(2000), mimetype="image/png")
        css = self.create_attachment(self.unique_data(200000), mimetype="text/css")
        big_png = self.create_attachment(self.unique_data(60000), mimetype="image/png")
        self.assertFalse(small_png.store_fname)
        self.assertTrue(small_png.db_datas)
        self.assertFalse(css.store_fname)
        self.assertTrue(big_png.store_fname.startswith(f"{self.backend.code}://"))

    def test_keep_in_db_rules_are_configurable_and_validated(self):
        param = "ir_attachment_object_store.keep_in_db"
        self.env["ir.config_parameter"].set_param(param, json.dumps({"application/pdf": 5000}))
        small_pdf = self.create_attachment(self.unique_data(4000))
        small_png = self.create_attachment(self.unique_data(2000), mimetype="image/png")
        self.assertFalse(small_pdf.store_fname)
        self.assertTrue(small_png.store_fname)
        for bad in ("not json", '["image/"]', '{"image/": -1}', '{"image/": "big"}'):
            with self.subTest(value=bad), self.assertRaises(ValidationError):
                self.env["ir.config_parameter"].set_param(param, bad)

    def test_location_backend_cannot_be_deleted_or_renamed(self):
        self.create_attachment(self.unique_data())
        with self.assertRaisesRegex(Exception, "Attachments are stored"):
            self.backend.unlink()
        with self.assertRaisesRegex(Exception, "cannot change"):
            self.backend.code = "renamed"

    def test_reading_many_at_once(self):
        payloads = [self.unique_data(1000 + index) for index in range(12)]
        attachments = self.Attachment.create(
            [{"name": "m", "raw": data, "mimetype": "application/pdf"} for data in payloads]
        )
        self.driver.delete(self.key_of(payloads[3]))
        self.local_copy(payloads[3])  # one of them only has its local copy
        attachments.invalidate_recordset()
        self.assertEqual(attachments.mapped("raw"), payloads)
