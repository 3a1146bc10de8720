# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests.common import new_test_user
from odoo.tools import config, mute_logger

from .common import StorageBackendCase


class TestStorageBackendConfig(StorageBackendCase):
    def test_duplicate_code_is_refused(self):
        backend = self.new_backend()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.new_backend(code=backend.code)

    def test_invalid_codes(self):
        for code in ("Upper", "with space", "1digit", "dash-ed", "x" * 33, "é"):
            with self.subTest(code=code), self.assertRaises(ValidationError):
                self.new_backend(code=code)

    def test_invalid_directory(self):
        for path in ("../up", "/absolute", "a/../b", "nul\x00"):
            with self.subTest(path=path), self.assertRaises(ValidationError):
                self.new_backend(directory_path=path)

    def test_local_fs_urls_are_refused_from_the_ui(self):
        for url in ("osfs:///etc", "zip:///tmp/x.zip", "/etc", "temp://"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.new_backend(backend_type="fs_url", fs_url=url)

    def test_environment_overrides_a_field(self):
        backend = self.new_backend()
        env_root = os.path.join(config["data_dir"], "storage-env-test", backend.code)
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_DIRECTORY_PATH"
        with patch.dict(os.environ, {variable: env_root}):
            self.assertEqual(backend.server_env_fields, " directory_path ")
            self.assertEqual(backend.read(["directory_path"])[0]["directory_path"], env_root)
            self.assertIn(env_root, backend.location)
            backend.add("from-env", b"1")
            self.assertTrue(os.path.exists(os.path.join(env_root, "from-env")))
            with self.assertRaisesRegex(UserError, "server configuration"):
                backend.write({"directory_path": "elsewhere"})
        self.addCleanup(os.remove, os.path.join(env_root, "from-env"))
        backend.invalidate_recordset()
        self.assertFalse(backend.server_env_fields)
        self.assertEqual(
            backend.read(["directory_path"])[0]["directory_path"], backend.directory_path
        )

    def test_config_file_section_and_secret_masking(self):
        backend = self.new_backend(backend_type="fs_url", fs_url="mem://")
        section = {"fs_url": "ftp://user:s3cret@127.0.0.1:1/", "backend_type": "fs_url"}
        with patch.dict(config.misc, {f"storage_backend.{backend.code}": section}):
            values = backend.read(["fs_url", "backend_type"])[0]
            self.assertEqual(values["fs_url"], "********")
            self.assertEqual(values["backend_type"], "fs_url")
            self.assertEqual(backend._effective_values()["fs_url"], section["fs_url"])
            self.assertNotIn("s3cret", backend.location)

    def test_environment_wins_over_config_file_and_is_validated(self):
        backend = self.new_backend()
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_BACKEND_TYPE"
        section = {f"storage_backend.{backend.code}": {"backend_type": "fs_url"}}
        with patch.dict(config.misc, section), patch.dict(os.environ, {variable: "filesystem"}):
            self.assertEqual(backend._effective_values()["backend_type"], "filesystem")
        with (
            patch.dict(os.environ, {variable: "nonsense"}),
            self.assertRaisesRegex(UserError, "nonsense"),
        ):
            backend._effective_values()

    def test_form_marks_server_fields_read_only(self):
        arch = self.env["storage.backend"].get_view(view_type="form")["arch"]
        self.assertIn("' directory_path ' in (server_env_fields or '')", arch)
        self.assertNotIn("' code ' in", arch)
        self.assertNotIn("' name ' in", arch)

    def test_unwritable_directory_fails_the_connection_test(self):
        backend = self.new_backend()
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_DIRECTORY_PATH"
        unwritable = "/sys/storage-backend-test" if os.geteuid() == 0 else "/proc/1/storage"
        with patch.dict(os.environ, {variable: unwritable}):
            action = backend.action_test_connection()
            self.assertEqual(action["params"]["type"], "danger")
            self.assertIn(unwritable, action["params"]["message"])
            with self.assertRaisesRegex(UserError, "cannot create directory"):
                backend.add("file", b"x")

    def test_only_administrators_manage_backends(self):
        backend = self.new_backend()
        user = new_test_user(self.env, login="storage_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            backend.with_user(user).read(["name"])
        with self.assertRaises(AccessError):
            self.env["storage.backend"].with_user(user).create({"name": "x", "code": "x_denied"})
        admin = new_test_user(self.env, login="storage_admin", groups="base.group_system")
        self.assertEqual(backend.with_user(admin).read(["code"])[0]["code"], backend.code)
