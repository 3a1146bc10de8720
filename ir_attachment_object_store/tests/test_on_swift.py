# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The attachment tests again, on the real OpenStack Swift of the test command.

Post-install: they need storage_backend_swift, installed after this addon.
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
class TestDownloadSwift(SwiftBackend, test_download.TestDownload):
    def test_redirect_to_a_temporary_url(self):
        self.backend.attachment_redirect = True
        data = self.unique_data(50000)
        attachment = self.create_attachment(data)
        response = self.url_open(f"/web/content/{attachment.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        location = response.headers["Location"]
        self.assertIn("temp_url_sig=", location)
        self.assertEqual(requests.get(location, timeout=10).content, data)
