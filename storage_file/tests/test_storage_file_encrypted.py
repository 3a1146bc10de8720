# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The storage file tests again, on backends that encrypt (storage_keymanager).

They run when ``storage_keymanager`` is installed too (the test command
installs every addon), with a master key given in the environment.
"""

import os
import unittest
from unittest.mock import patch

from odoo.tests.common import tagged

from odoo.addons.storage_backend.storage_drivers.master_keys import generate_key

from . import test_storage_file, test_storage_file_gc, test_storage_file_http


class EncryptionMixin:
    """Backends made by ``new_backend()`` without a type are local disks that
    encrypt new files."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "encrypt_files" not in cls.env["storage.backend"]._fields:
            raise unittest.SkipTest("storage_keymanager is not installed")
        keys = {"STORAGE_KEYMANAGER_MASTER_KEYS": f"files:{generate_key()}"}
        patcher = patch.dict(os.environ, keys)
        patcher.start()
        cls.addClassCleanup(patcher.stop)

    def new_backend(self, **values):
        if "backend_type" in values:
            return super().new_backend(**values)
        return super().new_backend(encrypt_files=True, **values)

    def raw_object(self, storage_file):
        """The object as it lies on disk."""
        path = os.path.join(self.root_of(storage_file.backend_id), storage_file.relative_path)
        with open(path, "rb") as handle:
            return handle.read()


@tagged("post_install", "-at_install")
class TestStorageFileEncrypted(EncryptionMixin, test_storage_file.TestStorageFile):
    def test_objects_are_encrypted_at_rest(self):
        secret = b"Payroll: J. Smith 4,200.00 EUR " * 100
        storage_file = self.new_file(secret, name="payroll.txt")
        raw = self.raw_object(storage_file)
        self.assertNotIn(b"J. Smith", raw)
        self.assertGreater(len(raw), len(secret))
        self.assertEqual(storage_file.file_size, len(secret), "the plaintext's size")
        self.assertEqual(self.assertMetadataMatchesObject(storage_file), secret)

    def test_no_direct_url_serves_ciphertext(self):
        storage_file = self.new_file(name="public.txt")
        self.backend.write({"is_public": True, "base_url": "https://cdn.example.com"})
        self.assertEqual(storage_file.url, storage_file.get_base_url() + storage_file.internal_url)


@tagged("post_install", "-at_install")
class TestStorageFileGCEncrypted(EncryptionMixin, test_storage_file_gc.TestStorageFileGC):
    pass


@tagged("post_install", "-at_install")
class TestStorageFileHttpEncrypted(EncryptionMixin, test_storage_file_http.TestStorageFileHttp):
    """Odoo decrypts: every HTTP test again, with the objects encrypted."""


@tagged("post_install", "-at_install")
class TestStorageFileHttpLargeEncrypted(
    EncryptionMixin, test_storage_file_http.TestStorageFileHttpLarge
):
    """200 MB encrypted on the way in, decrypted on the way out."""
