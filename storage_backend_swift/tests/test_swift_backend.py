# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from odoo.addons.storage_backend.storage_drivers import ObjectNotFound
from odoo.addons.storage_backend.storage_drivers.swift import SwiftDriver

from .common import SwiftBackendCase


class TestSwiftBackend(SwiftBackendCase):
    def test_files_go_to_the_container_of_the_database(self):
        backend = self.new_swift_backend(directory_path="exports")
        container = self.container_of(backend)
        self.assertEqual(backend.swift_container_name, container)
        backend.add("2024/orders.csv", b"id,amount\n1,10\n", mimetype="text/csv")
        backend.add("2024/lines.csv", b"id\n")
        self.assertEqual(
            self.raw_objects(container)[-2:],
            [
                "exports/2024/lines.csv",
                "exports/2024/orders.csv",
            ],
        )
        self.assertEqual(backend.get("2024/orders.csv"), b"id,amount\n1,10\n")
        self.assertEqual(backend.list_files("2024"), ["lines.csv", "orders.csv"])
        self.assertEqual(backend.find_files(r"orders", "2024"), ["2024/orders.csv"])
        backend.delete("2024/orders.csv")
        with self.assertRaises(ObjectNotFound):
            backend.get("2024/orders.csv")
        self.assertIn(container, backend.location)

    def test_container_name_template(self):
        backend = self.new_swift_backend(swift_container="{prefix}_{db}_Files")
        self.assertEqual(
            backend.swift_container_name, f"{self.prefix}_{self.env.cr.dbname}_files".lower()
        )
        backend.add("x", b"1")
        self.assertEqual(
            self.raw_objects(backend.swift_container_name), [f"{backend.directory_path}/x"]
        )
        for template in ("{nope}", "{db}/{prefix}", "{", "x" * 300):
            with self.subTest(template=template), self.assertRaises(ValidationError):
                backend.swift_container = template

    def test_driver_follows_the_fields(self):
        backend = self.new_swift_backend(
            swift_temp_url_key="k3y",
            swift_large_object_mb=8,
            swift_segment_mb=4,
            swift_auto_create=False,
        )
        driver = backend._get_driver().inner
        self.assertIsInstance(driver, SwiftDriver)
        self.assertEqual(
            (
                driver.large_object_size,
                driver.segment_size,
                driver.temp_url_key,
                driver.auto_create,
            ),
            (8 << 20, 4 << 20, "k3y", False),
        )
        self.assertEqual(driver.auth.auth_version, "1")
        with self.assertRaises(ValidationError):
            backend.swift_segment_mb = 0
        with self.assertRaises(ValidationError):
            backend.swift_auth_url = "ftp://swift"

    def test_token_is_reused_by_later_requests(self):
        backend = self.new_swift_backend()
        for index in range(20):
            backend.invalidate_recordset()  # as a new request would see it
            backend.add(f"f{index}", b"x")
            self.assertTrue(backend.exists(f"f{index}"))
        self.assertEqual(backend._get_driver().inner.auth.authentications, 1)

    def test_key_from_the_environment_is_secret(self):
        backend = self.new_swift_backend(swift_key="wrong")
        self.assertEqual(backend.action_test_connection()["params"]["type"], "danger")
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_SWIFT_KEY"
        with patch.dict(os.environ, {variable: self.swift["key"]}):
            self.assertEqual(backend.read(["swift_key"])[0]["swift_key"], "********")
            self.assertIn(" swift_key ", backend.server_env_fields)
            action = backend.action_test_connection()
            self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
            self.assertNotIn(self.swift["key"], action["params"]["message"])
            with self.assertRaisesRegex(UserError, "server configuration"):
                backend.write({"swift_key": "other"})
        self.assertEqual(backend.read(["swift_key"])[0]["swift_key"], "wrong")

    def test_container_prefix_from_the_configuration_file(self):
        backend = self.new_swift_backend()
        section = {f"storage_backend.{backend.code}": {"swift_container_prefix": "FromConf"}}
        with patch.dict(config.misc, section):
            self.assertEqual(backend.swift_container_name, f"fromconf-{self.env.cr.dbname}")
            backend.add("conf", b"1")
            self.assertIn(
                f"{backend.directory_path}/conf", self.raw_objects(f"fromconf-{self.env.cr.dbname}")
            )
            with self.assertRaisesRegex(UserError, "server configuration"):
                backend.swift_container_prefix = "other"

    def test_secret_fields_are_for_administrators_only(self):
        fields = self.env["storage.backend"]._fields
        for name in ("swift_key", "swift_token", "swift_temp_url_key"):
            self.assertEqual(fields[name].groups, "base.group_system")
            self.assertIn(name, self.env["storage.backend"]._server_env_secret_fields())

    def test_usage(self):
        backend = self.new_swift_backend()
        backend.add("a", b"12345")
        backend.add("b", b"123")
        backend.action_refresh_usage()
        self.assertEqual((backend.usage_bytes, backend.usage_objects), (8, 2))

    def test_form_shows_the_swift_section_for_swift_only(self):
        arch = self.env["storage.backend"].get_view(view_type="form")["arch"]
        self.assertIn('name="swift"', arch)
        self.assertIn("backend_type != 'swift'", arch)
        self.assertIn("' swift_auth_url ' in (server_env_fields or '')", arch)
