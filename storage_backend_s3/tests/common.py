# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import uuid

from odoo.tests.common import TransactionCase

from harness.seaweedfs import created_bucket, shared_settings


class S3BackendCase(TransactionCase):
    """Backends on a real SeaweedFS: the test command's, else a private one.

    Each class gets its own bucket, each backend its own prefix in it.
    Subclasses run the same tests on another server by overriding
    :meth:`server_settings` (see ``test_on_ceph``).
    """

    @classmethod
    def server_settings(cls):
        """endpoint_url, region, access_key, secret_key of the S3 server to test on."""
        return shared_settings()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = cls.server_settings()
        cls.bucket = f"odoo-{uuid.uuid4().hex[:12]}"
        # the raw bucket, to look behind the backends' backs
        cls.bucket_driver = created_bucket(cls.s3, cls.bucket)
        cls.addClassCleanup(cls.bucket_driver.close)

    def s3_values(self, **values):
        return {
            "name": "S3 test",
            "code": f"s{uuid.uuid4().hex[:10]}",
            "backend_type": "s3",
            "aws_host": self.s3["endpoint_url"],
            "aws_region": self.s3["region"],
            "aws_bucket": self.bucket,
            "aws_access_key_id": self.s3["access_key"],
            "aws_secret_access_key": self.s3["secret_key"],
            "directory_path": f"t-{uuid.uuid4().hex[:8]}",
            # fault tests fail fast
            "aws_connect_timeout": 1,
            "aws_retries": 1,
            **values,
        }

    def new_backend(self, **values):
        return self.env["storage.backend"].create(self.s3_values(**values))

    def assertConnection(self, backend, kind, *fragments):
        """Run "Test connection"; its notification has ``kind`` and every fragment."""
        params = backend.action_test_connection()["params"]
        self.assertEqual(params["type"], kind, params["message"])
        for fragment in fragments:
            self.assertIn(fragment, params["message"])
        return params["message"]
