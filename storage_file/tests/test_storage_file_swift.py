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

import requests

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
class TestStorageFileHttpSwift(SwiftMixin, test_storage_file_http.StorageFileHttpCase):
    def test_private_file_redirects_to_a_temporary_url(self):
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
        self.assertTrue(location.startswith(self.swift["storage_url"]), location)
        self.assertIn("temp_url_sig=", location)
        direct = requests.get(location, timeout=30)
        self.assertEqual((direct.status_code, direct.content), (200, b"signed bytes"))
        signature = location.partition("temp_url_sig=")[2].partition("&")[0]
        forged = location.replace(signature, secrets.token_hex(32))
        self.assertEqual(requests.get(forged, timeout=30).status_code, 401)

    def test_private_file_streams_from_swift(self):
        storage_file = self.new_file(b"0123456789", name="digits.txt")
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual((response.status_code, response.content), (200, b"0123456789"))
        response = self.get(storage_file.internal_url, Range="bytes=7-")
        self.assertEqual((response.status_code, response.content), (206, b"789"))

    def test_public_file_url_is_the_storage_url(self):
        self.backend.is_public = True
        storage_file = self.new_file(b"public on swift", name="public.txt")
        self.assertTrue(storage_file.url.startswith(self.swift["storage_url"]), storage_file.url)
        direct = requests.get(storage_file.url, timeout=30)
        self.assertEqual((direct.status_code, direct.content), (200, b"public on swift"))
        response = self.get(storage_file.internal_url)  # anonymous
        self.assertEqual(response.status_code, 302)
        self.assertEqual(requests.get(response.headers["Location"], timeout=30).status_code, 200)


@tagged("post_install", "-at_install")
class TestStorageFileHttpLargeSwift(SwiftMixin, test_storage_file_http.TestStorageFileHttpLarge):
    """200 MB into Swift (in segments) and out through the controller."""
