# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import uuid

from odoo.exceptions import UserError, ValidationError

from harness.process import free_port

from .common import S3BackendCase


class TestS3Connection(S3BackendCase):
    """What "Test connection" tells an administrator when S3 says no."""

    def test_wrong_secret(self):
        backend = self.new_backend(aws_secret_access_key="not-the-secret")
        message = self.assertConnection(backend, "danger", "access denied", "secret key")
        self.assertNotIn("not-the-secret", message)
        self.assertNotIn("Traceback", message)

    def test_unknown_access_key(self):
        backend = self.new_backend(aws_access_key_id="UNKNOWNKEY")
        self.assertConnection(backend, "danger", "access denied", "InvalidAccessKeyId")

    def test_missing_bucket(self):
        missing = f"missing-{uuid.uuid4().hex[:8]}"
        backend = self.new_backend(aws_bucket=missing)
        self.assertConnection(backend, "danger", f"bucket '{missing}' does not exist")

    def test_unreachable_endpoint(self):
        endpoint = f"http://127.0.0.1:{free_port()}"
        backend = self.new_backend(aws_host=endpoint)
        self.assertConnection(backend, "danger", f"{endpoint} is unreachable")
        with self.assertRaisesRegex(UserError, "is unreachable"):
            backend.add("file", b"x")

    def test_missing_bucket_is_created_when_asked(self):
        bucket = f"created-{uuid.uuid4().hex[:8]}"
        backend = self.new_backend(aws_bucket=bucket, aws_create_bucket=True)
        self.assertConnection(backend, "success")
        buckets = self.bucket_driver.client.list_buckets()["Buckets"]
        self.assertIn(bucket, [entry["Name"] for entry in buckets])

    def test_invalid_settings_are_refused_before_any_request(self):
        for values, error in (
            ({"aws_bucket": "No_Such_Name"}, "invalid bucket name"),
            ({"aws_host": "ftp://example.com"}, "http"),
            ({"directory_path": "../up"}, "Invalid directory"),
            ({"aws_part_size": 1}, "at least 5 MiB"),
            ({"aws_retries": -1}, "not negative"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, error):
                self.new_backend(**values)
        with self.assertRaisesRegex(UserError, "Set the bucket"):
            self.new_backend(aws_bucket=False)
        with self.assertRaisesRegex(UserError, "access key"):
            self.new_backend(aws_access_key_id=False, aws_secret_access_key=False)
