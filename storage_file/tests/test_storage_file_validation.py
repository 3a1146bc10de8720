# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io

from odoo.exceptions import ValidationError

from .common import StorageFileCase


class TestStorageFileValidation(StorageFileCase):
    """Bad input is refused with a clear error before anything is stored."""

    def assertRefused(self, vals, message):
        vals = {"name": "file.txt", "data": base64.b64encode(b"x"), **vals}
        vals.setdefault("backend_id", self.backend.id)
        count = self.Files.with_context(active_test=False).search_count([])
        with self.assertRaisesRegex(ValidationError, message):
            self.Files.create(vals)
        self.assertEqual(self.stored_objects(), [])
        self.assertEqual(self.Files.with_context(active_test=False).search_count([]), count)

    def test_unknown_backend(self):
        self.assertRefused({"backend_id": 987654321}, "Unknown storage backend")
        self.assertRefused({"backend_id": "local"}, "Unknown storage backend")
        self.assertRefused({"backend_id": 2**40}, "Unknown storage backend")

    def test_empty_file(self):
        self.assertRefused({"data": b""}, "empty")
        self.assertRefused({"data": False}, "empty")
        self.assertRefused({"data": io.BytesIO()}, "empty")

    def test_missing_content(self):
        vals = {"name": "file.txt", "backend_id": self.backend.id}
        with self.assertRaisesRegex(ValidationError, "empty"):
            self.Files.create(vals)

    def test_invalid_base64(self):
        self.assertRefused({"data": "not base64!"}, "base64")

    def test_names_with_path_separators(self):
        for name in ("../etc/passwd", "a/b.txt", "dir\\file.txt", "/abs"):
            with self.subTest(name=name):
                self.assertRefused({"name": name}, "path separator")

    def test_too_long_name(self):
        self.assertRefused({"name": "n" * 252 + ".txt"}, "too long: 256 characters")
        self.assertEqual(len(self.new_file(name="n" * 251 + ".txt").name), 255)

    def test_blank_or_control_names(self):
        self.assertRefused({"name": "   "}, "needs a name")
        self.assertRefused({"name": False}, "needs a name")
        self.assertRefused({"name": "bell\x07.txt"}, "control characters")

    def test_rename_is_validated_too(self):
        storage_file = self.new_file()
        with self.assertRaisesRegex(ValidationError, "path separator"):
            storage_file.name = "x/y"
        with self.assertRaisesRegex(ValidationError, "empty"):
            storage_file.data = False
        self.assertMetadataMatchesObject(storage_file)
