# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The storage file tests again, on a real S3 (SeaweedFS), plus presigned URLs.

They run when ``storage_backend_s3`` is installed too (the test command
installs every addon), on the SeaweedFS the test command shares or a private one.
"""

import unittest
import uuid

import requests

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
        from harness.seaweedfs import shared_settings
        from storage_drivers.s3 import S3Driver

        cls.s3 = shared_settings()
        cls.bucket = f"files-{uuid.uuid4().hex[:12]}"
        driver = S3Driver(
            cls.bucket,
            endpoint_url=cls.s3["endpoint_url"],
            region=cls.s3["region"],
            access_key=cls.s3["access_key"],
            secret_key=cls.s3["secret_key"],
            create_bucket=True,
        )
        cls.addClassCleanup(driver.close)
        check = driver.check()  # creates the bucket
        assert check.ok, check.message

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
class TestStorageFileHttpS3(S3Mixin, test_storage_file_http.StorageFileHttpCase):
    def test_private_file_redirects_to_a_presigned_url(self):
        self.backend.write({"private_file_delivery": "redirect", "url_expiry": 60})
        storage_file = self.new_file(b"signed bytes", name="signed.txt")
        self.assertEqual(self.get(storage_file.internal_url).status_code, 404)
        self.login(self.portal)
        self.assertEqual(self.get(storage_file.internal_url).status_code, 404)
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        location = response.headers["Location"]
        self.assertTrue(location.startswith(self.s3["endpoint_url"]), location)
        self.assertIn("X-Amz-Expires=60", location)
        direct = requests.get(location, timeout=30)
        self.assertEqual((direct.status_code, direct.content), (200, b"signed bytes"))
        unsigned = requests.get(location.partition("?")[0], timeout=30)
        self.assertEqual(unsigned.status_code, 403)

    def test_private_file_streams_from_s3(self):
        storage_file = self.new_file(b"0123456789", name="digits.txt")
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual((response.status_code, response.content), (200, b"0123456789"))
        response = self.get(storage_file.internal_url, Range="bytes=7-")
        self.assertEqual((response.status_code, response.content), (206, b"789"))

    def test_public_objects_get_the_plain_storage_url(self):
        self.backend.write({"is_public": True, "aws_file_acl": "public-read"})
        storage_file = self.new_file(b"public on s3", name="public.txt")
        self.assertTrue(storage_file.url.startswith(self.s3["endpoint_url"]), storage_file.url)
        self.assertNotIn("?", storage_file.url, "a public object needs no signature")
        response = self.get(storage_file.internal_url)  # anonymous
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], storage_file.url)


@tagged("post_install", "-at_install")
class TestStorageFileHttpLargeS3(S3Mixin, test_storage_file_http.TestStorageFileHttpLarge):
    """200 MB into S3 (multipart) and out through the controller."""

    # the S3 driver keeps up to 4 parts of 8 MiB in flight (storage_drivers.s3)
    MEMORY_BOUND = 80 * test_storage_file_http.MIB
