# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The attachment tests again, on the real OpenStack Swift of the test command.

Post-install: they need storage_backend_swift, installed after this addon.
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
from .common import SwiftBackend


@tagged("post_install", "-at_install")
class TestRoutingSwift(SwiftBackend, test_routing.TestRouting):
    pass


@tagged("post_install", "-at_install")
class TestGarbageCollectionSwift(SwiftBackend, test_gc.TestGarbageCollection):
    pass


@tagged("post_install", "-at_install")
class TestMigrationSwift(SwiftBackend, test_migration.TestMigration):
    pass


@tagged("post_install", "-at_install")
class TestCopiedDatabaseSwift(SwiftBackend, test_database_lifecycle.TestCopiedDatabase):
    """One container per database: the copy goes between containers, server-side."""


@tagged("post_install", "-at_install")
class TestFallbackSwiftDown(SwiftBackend, test_fallback.TestFallbackServerDown):
    pass


@tagged("post_install", "-at_install")
class TestMigrationSwiftStopped(SwiftBackend, test_migration.TestMigrationServerStopped):
    pass


@tagged("post_install", "-at_install")
class TestDownloadSwift(SwiftBackend, test_download.RedirectDownloads, test_download.TestDownload):
    url_signature = "temp_url_sig="
