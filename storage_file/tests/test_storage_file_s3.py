# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The storage file tests again, on a real S3 (SeaweedFS), plus presigned URLs.

They run when ``storage_backend_s3`` is installed too (the test command
installs every addon), on the SeaweedFS the test command shares or a private one.
"""

import unittest
import uuid

from odoo.tests.common import tagged

from . import test_storage_file, test_storage_file_gc, test_storage_file_http


class S3Mixin:
    """Backends made by ``new_backend()`` without a type live in a bucket of
    the class, each under a prefix of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "aws_bucket" not in cls.env["storage.backend"]._fields:
            raise unittest.SkipTest("storage_backend_s3 is not installed")
        from harness.seaweedfs import created_bucket, shared_settings

        cls.s3 = shared_settings()
        cls.bucket = f"files-{uuid.uuid4().hex[:12]}"
        cls.addClassCleanup(created_bucket(cls.s3, cls.bucket).close)

    def new_backend(self, **values):
        if "backend_type" in values:
            return super().new_backend(**values)
        return super().new_backend(
            backend_type="s3",
            aws_host=self.s3["endpoint_url"],
            aws_region=self.s3["region"],
            aws_bucket=self.bucket,
            aws_access_key_id=self.s3["access_key"],
            aws_secret_access_key=self.s3["secret_key"],
            **values,
        )


@tagged("post_install", "-at_install")
class TestStorageFileS3(S3Mixin, test_storage_file.TestStorageFile):
    pass


@tagged("post_install", "-at_install")
class TestStorageFileGCS3(S3Mixin, test_storage_file_gc.TestStorageFileGC):
    pass


@tagged("post_install", "-at_install")
class TestStorageFileHttpS3(
    S3Mixin, test_storage_file_http.SignedUrlTests, test_storage_file_http.StorageFileHttpCase
):
    signature_param = "X-Amz-Signature"
    public_values = {"aws_file_acl": "public-read"}

    @property
    def storage_url(self):
        return self.s3["endpoint_url"]

    def assertPublicUrlServes(self, url, content):
        # SeaweedFS with credentials serves no anonymous request, whatever the
        # object ACL: check the URL is the plain, unsigned one an S3 would serve
        self.assertNotIn("?", url, "a public-read object needs no signature")


@tagged("post_install", "-at_install")
class TestStorageFileHttpLargeS3(S3Mixin, test_storage_file_http.TestStorageFileHttpLarge):
    """200 MB into S3 (multipart) and out through the controller."""

    # the S3 driver keeps up to 4 parts of 8 MiB in flight (storage_drivers.s3)
    MEMORY_BOUND = 80 * test_storage_file_http.MIB
