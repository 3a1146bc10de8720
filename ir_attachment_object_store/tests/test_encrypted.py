# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Attachments on an encrypted S3 backend (with storage_keymanager installed)."""

import base64
import os
import unittest
import uuid

from odoo.modules.registry import Registry
from odoo.tests import HttpCase, tagged
from odoo.tests.common import get_db_name

from .common import ObjectStoreCase, S3Backend, require_backend_type

KEYS_VARIABLE = "STORAGE_KEYMANAGER_MASTER_KEYS"
PLAINTEXT = b"Salary slip: J. Smith, 4,200.00 EUR, IBAN DE89 3704 0044 0532 0130 00. "


@tagged("post_install", "-at_install")
class TestEncryptedAttachments(S3Backend, HttpCase, ObjectStoreCase):
    @classmethod
    def setUpClass(cls):
        require_backend_type("s3", "storage_backend_s3")
        if "encrypt_files" not in Registry(get_db_name())["storage.backend"]._fields:
            raise unittest.SkipTest("storage_keymanager is not installed")
        key = base64.b64encode(os.urandom(32)).decode()
        # not patch.dict: Odoo's end-of-class patcher check cannot describe it
        os.environ[KEYS_VARIABLE] = f"k1:{key}"
        cls.addClassCleanup(os.environ.pop, KEYS_VARIABLE, None)
        super().setUpClass()

    @classmethod
    def backend_values(cls):
        return {**super().backend_values(), "encrypt_files": True, "attachment_redirect": True}

    def setUp(self):
        super().setUp()
        self.authenticate("admin", "admin")

    def test_identical_through_the_orm_and_web_content_never_plain_at_rest(self):
        data = PLAINTEXT * 2000 + uuid.uuid4().bytes
        attachment = self.create_attachment(data, name="slip.pdf")
        self.assertEqual(attachment.file_size, len(data))  # metadata of the plaintext
        key = self.key_of(data)
        at_rest = self.driver.inner.inner.get(f"{self.env.cr.dbname}/{key}")
        self.assertNotEqual(at_rest, data)
        self.assertNotIn(PLAINTEXT[:32], at_rest)

        attachment.invalidate_recordset()
        self.assertEqual(attachment.raw, data)
        # no presigned redirect for ciphertext: Odoo decrypts and streams
        response = self.url_open(f"/web/content/{attachment.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, data)
