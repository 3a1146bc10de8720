# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import shutil

from odoo.tests import HttpCase, tagged

from .common import StorageBackendCase


class TestStorageBackendActions(StorageBackendCase):
    def test_connection_test_success(self):
        backend = self.new_backend()
        action = backend.action_test_connection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("wrote, read back and deleted", action["params"]["message"])

    def test_connection_test_reports_configuration_errors(self):
        backend = self.new_backend(backend_type="fs_url", fs_url=False)
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Set the filesystem URL", action["params"]["message"])

    def test_usage_figures(self):
        backend = self.new_backend()
        self.assertEqual(backend.usage_display, "Not computed yet")
        backend.add("a", b"12345")
        backend.add("b/c", b"123")
        backend.action_refresh_usage()
        self.assertEqual((backend.usage_bytes, backend.usage_objects), (8, 2))
        self.assertGreater(backend.usage_free_bytes, 0)
        self.assertIn("in 2 objects", backend.usage_display)


@tagged("post_install", "-at_install")
class TestStorageBackendTour(HttpCase):
    def test_create_backend_in_the_ui_and_test_connection(self):
        self.start_tour(
            "/web#action=storage_backend.storage_backend_action",
            "storage_backend_create_and_test",
            login="admin",
        )
        backend = self.env["storage.backend"].search([("code", "=", "ui_backend")])
        self.assertEqual(backend.backend_type, "filesystem")
        self.addCleanup(shutil.rmtree, backend._get_driver().root, ignore_errors=True)
        backend.add("after-tour.txt", b"round trip")
        self.assertEqual(backend.get("after-tour.txt"), b"round trip")
        backend.delete("after-tour.txt")
        self.assertFalse(backend.exists("after-tour.txt"))
