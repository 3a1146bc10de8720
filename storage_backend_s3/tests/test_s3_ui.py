# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from harness.seaweedfs import created_bucket, shared_settings


@tagged("post_install", "-at_install")
class TestS3Tour(HttpCase):
    def test_create_s3_backend_in_the_ui(self):
        s3 = shared_settings()
        server_settings = {
            "aws_host": s3["endpoint_url"],
            "aws_region": s3["region"],
            "aws_access_key_id": s3["access_key"],
            "aws_secret_access_key": s3["secret_key"],
        }
        created_bucket(s3, "ui-tour-bucket").close()
        environment = {
            f"STORAGE_BACKEND_UI_S3_{name.upper()}": value
            for name, value in server_settings.items()
        }
        with patch.dict(os.environ, environment):
            self.start_tour(
                "/web#action=storage_backend.storage_backend_action",
                "storage_backend_s3_create_and_test",
                login="admin",
            )
            backend = self.env["storage.backend"].search([("code", "=", "ui_s3")])
            self.assertEqual(backend.backend_type, "s3")
            self.assertEqual(
                backend.read(["aws_secret_access_key"])[0]["aws_secret_access_key"], "********"
            )
            backend.add("after-tour.txt", b"round trip")
            self.assertEqual(backend.get("after-tour.txt"), b"round trip")
            backend.delete("after-tour.txt")
        # nothing secret was stored: it all came from the server
        self.assertFalse(backend.aws_secret_access_key)
