# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io
import os

from odoo.exceptions import UserError

from odoo.addons.storage_backend.storage_drivers import ObjectExists, ObjectNotFound

from .common import StorageBackendCase


class TestStorageBackendApi(StorageBackendCase):
    def setUp(self):
        super().setUp()
        self.backend = self.new_backend()

    def test_add_get_delete_roundtrip(self):
        self.backend.add("folder/report.pdf", b"%PDF-1.7 content")
        path = os.path.join(self.root_of(self.backend), "folder", "report.pdf")
        with open(path, "rb") as handle:
            self.assertEqual(handle.read(), b"%PDF-1.7 content")
        self.assertEqual(self.backend.get("folder/report.pdf"), b"%PDF-1.7 content")
        self.assertTrue(self.backend.exists("folder/report.pdf"))
        self.backend.delete("folder/report.pdf")
        self.assertFalse(self.backend.exists("folder/report.pdf"))
        self.assertFalse(os.path.exists(path))
        with self.assertRaises(ObjectNotFound):
            self.backend.get("folder/report.pdf")

    def test_base64_mode(self):
        self.backend.add("b64.txt", base64.b64encode(b"hello"), binary=False)
        self.assertEqual(self.backend.get("b64.txt"), b"hello")
        self.assertEqual(self.backend.get("b64.txt", binary=False), base64.b64encode(b"hello"))

    def test_add_file_object_and_no_overwrite(self):
        self.backend.add("stream.bin", io.BytesIO(b"x" * 300000))
        self.assertEqual(len(self.backend.get("stream.bin")), 300000)
        with self.assertRaises(ObjectExists):
            self.backend.add("stream.bin", b"other", overwrite=False)
        self.assertEqual(len(self.backend.get("stream.bin")), 300000)

    def test_orm_exists_still_works(self):
        self.assertEqual(self.backend.exists(), self.backend)
        gone = self.new_backend()
        gone.unlink()
        self.assertFalse(gone.exists())

    def test_list_and_find_files(self):
        for path in ("in/a.csv", "in/b.csv", "in/c.txt", "in/sub/d.csv", "other.csv"):
            self.backend.add(path, b"1")
        self.assertEqual(self.backend.list_files("in"), ["a.csv", "b.csv", "c.txt"])
        self.assertEqual(self.backend.list_files("in/", pattern="*.csv"), ["a.csv", "b.csv"])
        self.assertEqual(self.backend.list_files(), ["other.csv"])
        self.assertEqual(self.backend.list_files("nothing"), [])
        self.assertEqual(self.backend.find_files(r".*\.csv$", "in"), ["in/a.csv", "in/b.csv"])
        self.assertEqual(self.backend.find_files(r"^o"), ["other.csv"])

    def test_move_files(self):
        self.backend.add("in/a.csv", b"A")
        self.backend.add("in/b.csv", b"B")
        moved = self.backend.move_files(["in/a.csv", "in/b.csv"], "done")
        self.assertEqual(moved, ["done/a.csv", "done/b.csv"])
        self.assertEqual(self.backend.list_files("in"), [])
        self.assertEqual(self.backend.get("done/b.csv"), b"B")

    def test_bad_paths_are_refused_and_touch_nothing(self):
        root = self.root_of(self.backend)
        for bad in ("../escape", "/etc/passwd", "a/../../escape", "nul\x00byte", "a//b", ""):
            with self.subTest(path=bad):
                with self.assertRaisesRegex(UserError, "Test backend"):
                    self.backend.add(bad, b"x")
                with self.assertRaises(UserError):
                    self.backend.get(bad)
                with self.assertRaises(UserError):
                    self.backend.delete(bad)
        with self.assertRaises(UserError):
            self.backend.list_files("../..")
        with self.assertRaises(UserError):
            self.backend.move_files(["../x"], "done")
        self.assertFalse(os.path.exists(root) and os.listdir(root))
        parent = os.path.dirname(root)
        self.assertFalse(os.path.exists(os.path.join(parent, "escape")))

    def test_driver_is_cached_until_configuration_changes(self):
        driver = self.backend._get_driver()
        self.assertIs(self.backend._get_driver(), driver)
        self.backend.directory_path = f"{self.folder}/moved"
        self.assertIsNot(self.backend._get_driver(), driver)
        self.backend.add("x", b"1")
        self.assertTrue(os.path.exists(os.path.join(self.root_of(self.backend), "x")))

    def test_fs_url_backend(self):
        backend = self.new_backend(backend_type="fs_url", fs_url="mem://", directory_path="sub")
        backend.add("a/b", b"in memory")
        self.assertEqual(backend.get("a/b"), b"in memory")
        self.assertEqual(backend._get_driver().inner.get("sub/a/b"), b"in memory")

    def test_default_backend_is_local_disk(self):
        default = self.env.ref("storage_backend.default_backend")
        self.assertEqual((default.code, default.backend_type), ("local", "filesystem"))
        self.assertTrue(default.action_test_connection()["params"]["type"] == "success")

    def test_database_placeholder(self):
        backend = self.new_backend(
            backend_type="fs_url", fs_url="mem://", directory_path="{db}/files"
        )
        self.assertTrue(backend._database_scoped())
        backend.add("a", b"mine")
        inner = backend._get_driver().inner
        self.assertEqual(inner.get(f"{self.env.cr.dbname}/files/a"), b"mine")
        other = backend._get_driver("other_db")
        self.assertIsNot(other, backend._get_driver())
        self.assertEqual(other.prefix, "other_db/files/")
        self.assertFalse(
            self.new_backend(backend_type="fs_url", fs_url="mem://")._database_scoped()
        )
        self.assertTrue(self.new_backend()._database_scoped())
