# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The attachment tests again, on the real S3 (SeaweedFS) of the test command.

Post-install: they need storage_backend_s3, installed after this addon.
"""

import requests

from odoo.tests import tagged

from . import (
    test_database_lifecycle,
    test_download,
    test_fallback,
    test_gc,
    test_migration,
    test_routing,
)
from .common import S3Backend


@tagged("post_install", "-at_install")
class TestRoutingS3(S3Backend, test_routing.TestRouting):
    pass


@tagged("post_install", "-at_install")
class TestGarbageCollectionS3(S3Backend, test_gc.TestGarbageCollection):
    pass


@tagged("post_install", "-at_install")
class TestMigrationS3(S3Backend, test_migration.TestMigration):
    pass


@tagged("post_install", "-at_install")
class TestCopiedDatabaseS3(S3Backend, test_database_lifecycle.TestCopiedDatabase):
    """The copy goes between the databases' prefixes of one bucket, server-side."""


@tagged("post_install", "-at_install")
class TestFallbackS3Down(S3Backend, test_fallback.TestFallbackServerDown):
    pass


@tagged("post_install", "-at_install")
class TestMigrationS3Stopped(S3Backend, test_migration.TestMigrationServerStopped):
    pass


@tagged("post_install", "-at_install")
class TestDownloadS3(S3Backend, test_download.TestDownload):
    def test_redirect_to_a_presigned_url(self):
        self.backend.attachment_redirect = True
        data = self.unique_data(50000)
        attachment = self.create_attachment(data)
        response = self.url_open(f"/web/content/{attachment.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        location = response.headers["Location"]
        self.assertIn("X-Amz-Signature=", location)
        self.assertEqual(requests.get(location, timeout=10).content, data)
