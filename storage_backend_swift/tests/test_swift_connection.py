# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from urllib.parse import urljoin

from harness.process import free_port

from .common import SwiftBackendCase


class TestSwiftConnection(SwiftBackendCase):
    """What *Test connection* tells an administrator."""

    def check(self, **values):
        params = self.new_swift_backend(**values).action_test_connection()["params"]
        return params["type"], params["message"]

    def test_success(self):
        kind, message = self.check()
        self.assertEqual(kind, "success")
        self.assertIn("wrote, read back and deleted a probe", message)

    def test_wrong_key(self):
        kind, message = self.check(swift_key="not-the-key")
        self.assertEqual(kind, "danger")
        self.assertIn(f"refused the credentials of user '{self.swift['user']}'", message)
        self.assertIn("check the user and key", message)
        self.assertNotIn("not-the-key", message)

    def test_unknown_container(self):
        kind, message = self.check(swift_auto_create=False, swift_container="{prefix}-missing")
        self.assertEqual(kind, "danger")
        self.assertIn(f"container '{self.prefix.lower()}-missing' does not exist", message)

    def test_unreachable_auth_url(self):
        url = f"http://127.0.0.1:{free_port()}/auth/v1.0"
        kind, message = self.check(swift_auth_url=url)
        self.assertEqual(kind, "danger")
        self.assertIn(f"the Swift authentication service at {url} is unreachable", message)

    def test_keystone_url_that_is_not_keystone(self):
        kind, message = self.check(
            swift_auth_version="3",
            swift_auth_url=urljoin(self.swift["auth_url"], "/v3"),
            swift_project="demo",
        )
        self.assertEqual(kind, "danger")
        self.assertIn("is it a Keystone v3 URL", message)

    def test_missing_settings(self):
        kind, message = self.check(swift_auth_url=False)
        self.assertEqual(kind, "danger")
        self.assertIn("Set the auth URL and credentials", message)
