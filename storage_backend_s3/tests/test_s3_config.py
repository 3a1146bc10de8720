# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.modules.migration import load_script
from odoo.modules.module import get_module_path
from odoo.tools import config

from .common import S3BackendCase

SECRETS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


class TestS3Config(S3BackendCase):
    def test_credentials_are_for_administrators_only(self):
        fields = self.env["storage.backend"]._fields
        for name in SECRETS:
            self.assertEqual(fields[name].groups, "base.group_system")
        secrets = self.env["storage.backend"]._server_env_secret_fields()
        self.assertTrue({"aws_secret_access_key", "aws_session_token"} <= secrets)

    def test_secret_from_the_environment(self):
        """The database holds a wrong secret; the server's environment the right one."""
        backend = self.new_backend(aws_secret_access_key="wrong")
        self.assertConnection(backend, "danger", "access denied")
        variable = f"STORAGE_BACKEND_{backend.code.upper()}_AWS_SECRET_ACCESS_KEY"
        with patch.dict(os.environ, {variable: self.s3["secret_key"]}):
            self.assertConnection(backend, "success")
            values = backend.read(["aws_secret_access_key", "server_env_fields"])[0]
            self.assertEqual(values["aws_secret_access_key"], "********")
            self.assertEqual(values["server_env_fields"], " aws_secret_access_key ")
            with self.assertRaisesRegex(UserError, "server configuration"):
                backend.write({"aws_secret_access_key": "other"})
        self.assertConnection(backend, "danger", "access denied")

    def test_bucket_from_the_configuration_file(self):
        backend = self.new_backend(aws_bucket="not-this-one")
        section = {f"storage_backend.{backend.code}": {"aws_bucket": self.bucket}}
        with patch.dict(config.misc, section):
            self.assertEqual(backend.read(["aws_bucket"])[0]["aws_bucket"], self.bucket)
            backend.add("from-config", b"1")
        self.assertTrue(self.bucket_driver.exists(f"{backend.directory_path}/from-config"))

    def test_s3_section_shows_for_s3_only(self):
        arch = self.env["storage.backend"].get_view(view_type="form")["arch"]
        self.assertIn('name="s3"', arch)
        self.assertIn("backend_type != 's3'", arch)
        self.assertIn("' aws_bucket ' in (server_env_fields or '')", arch)

    def test_migration_from_oca_storage_backend_s3(self):
        backend = self.new_backend()
        other = self.new_backend(backend_type="filesystem", aws_file_acl=False)
        cr = self.env.cr
        cr.execute("ALTER TABLE storage_backend ADD COLUMN aws_other_region varchar")
        cr.execute(
            """
            UPDATE storage_backend
               SET backend_type = 'amazon_s3', aws_region = 'other',
                   aws_other_region = 'fr-par', aws_file_acl = 'public-read-write'
             WHERE id = %s
            """,
            [backend.id],
        )
        script = os.path.join(
            get_module_path("storage_backend_s3"), "migrations", "17.0.1.0.0", "pre-migrate.py"
        )
        load_script(script, "pre_migrate").migrate(cr, "16.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(
            (backend.backend_type, backend.aws_region, backend.aws_file_acl),
            ("s3", "fr-par", "public-read"),
        )
        self.assertEqual(other.aws_file_acl, "private")
