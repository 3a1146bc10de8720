# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The storage file tests again, on a real OpenStack Swift, plus its temporary URLs.

They run when ``storage_backend_swift`` is installed too (the test command
installs every addon), on the Swift the test command shares or a private one.
"""

import json
import os
import secrets
import unittest
import uuid

from odoo.tests.common import tagged

from . import test_storage_file, test_storage_file_gc, test_storage_file_http


class SwiftMixin:
    """Backends made by ``new_backend()`` without a type are Swift containers of
    their own, with a temporary URL key."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "swift_auth_url" not in cls.env["storage.backend"]._fields:
            raise unittest.SkipTest("storage_backend_swift is not installed")
        if os.environ.get("STORAGE_TEST_SWIFT"):
            cls.swift = json.loads(os.environ["STORAGE_TEST_SWIFT"])
        else:
            from harness.swift import SwiftServer

            server = SwiftServer().start()
            cls.addClassCleanup(server.stop)
            cls.swift = server.env()

    def new_backend(self, **values):
        if "backend_type" in values:
            return super().new_backend(**values)
        return super().new_backend(
            backend_type="swift",
            swift_auth_version="1",
            swift_auth_url=self.swift["auth_url"],
            swift_user=self.swift["user"],
            swift_key=self.swift["key"],
            swift_container_prefix=f"sf{uuid.uuid4().hex[:10]}",
            swift_temp_url_key=secrets.token_hex(16),
            **values,
        )


@tagged("post_install", "-at_install")
class TestStorageFileSwift(SwiftMixin, test_storage_file.TestStorageFile):
    pass


@tagged("post_install", "-at_install")
class TestStorageFileGCSwift(SwiftMixin, test_storage_file_gc.TestStorageFileGC):
    pass


@tagged("post_install", "-at_install")
class TestStorageFileHttpSwift(
    SwiftMixin, test_storage_file_http.SignedUrlTests, test_storage_file_http.StorageFileHttpCase
):
    signature_param = "temp_url_sig"

    @property
    def storage_url(self):
        return self.swift["storage_url"]


@tagged("post_install", "-at_install")
class TestStorageFileHttpLargeSwift(SwiftMixin, test_storage_file_http.TestStorageFileHttpLarge):
    """200 MB into Swift (in segments) and out through the controller."""
