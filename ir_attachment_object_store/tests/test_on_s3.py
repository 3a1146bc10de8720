# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The attachment tests again, on the real S3 (SeaweedFS) of the test command.

Post-install: they need storage_backend_s3, installed after this addon.
"""

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
class TestDownloadS3(S3Backend, test_download.RedirectDownloads, test_download.TestDownload):
    url_signature = "X-Amz-Signature="
