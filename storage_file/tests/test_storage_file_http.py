# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import logging
import tracemalloc

import requests

from odoo.tests.common import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from harness.ftp import FTPServer

from .common import StorageFileCase, UnseekableStream

_logger = logging.getLogger(__name__)
MIB = 1024 * 1024


class StorageFileHttpCase(StorageFileCase, HttpCase):
    """Files served over HTTP to public, portal and internal users.

    ``self.backend`` comes from ``new_backend()``: a subclass that overrides
    it runs every test against another kind of backend.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.internal = new_test_user(cls.env, login="sf_internal", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="sf_portal", groups="base.group_portal")

    def login(self, user):
        self.authenticate(user.login, user.login)

    def get(self, url, **headers):
        return self.url_open(url, allow_redirects=False, headers=headers)


@tagged("post_install", "-at_install")
class TestStorageFileHttp(StorageFileHttpCase):
    def test_private_file_reaches_internal_users_only(self):
        storage_file = self.new_file(b"private bytes", name="private notes.txt")
        self.assertEqual(self.get(storage_file.internal_url).status_code, 404)
        self.login(self.portal)
        self.assertEqual(self.get(storage_file.internal_url).status_code, 404)
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"private bytes")
        self.assertEqual(response.headers["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(response.headers["ETag"], f'"{storage_file.checksum}"')
        self.assertEqual(response.headers["Content-Security-Policy"], "default-src 'none'")
        self.assertIn("private", response.headers["Cache-Control"])
        self.assertEqual(
            response.headers["Content-Disposition"], 'inline; filename="private notes.txt"'
        )
        download = self.get(f"{storage_file.internal_url}?download=1")
        self.assertTrue(download.headers["Content-Disposition"].startswith("attachment;"))

    def test_linked_file_follows_its_record_over_http(self):
        secret = self.new_file(
            name="secret.txt", res_model="storage.backend", res_id=self.backend.id
        )
        self.login(self.internal)
        self.assertEqual(self.get(secret.internal_url).status_code, 404)
        self.authenticate("admin", "admin")
        self.assertEqual(self.get(secret.internal_url).status_code, 200)

    def test_unknown_mangled_and_deleted_files_are_not_found(self):
        storage_file = self.new_file(name="real.txt")
        self.login(self.internal)
        for slug in (
            "nothing-99999999.txt",
            "huge-99999999999999999999999.txt",
            f"other-name-{storage_file.id}.txt",
            f"real-{storage_file.id}.pdf",
            "real",
            "..%2F..%2Fetc%2Fpasswd",
        ):
            with self.subTest(slug=slug):
                self.assertEqual(self.get(f"/storage.file/{slug}").status_code, 404)
        storage_file.unlink()
        self.assertEqual(self.get(storage_file.internal_url).status_code, 404)

    def test_public_file_reaches_everyone(self):
        self.backend.is_public = True
        storage_file = self.new_file(b"public bytes", name="flyer.txt")
        response = self.get(storage_file.internal_url)
        self.assertEqual((response.status_code, response.content), (200, b"public bytes"))
        self.assertIn("public", response.headers["Cache-Control"])
        self.backend.base_url = "https://cdn.example.com/files"
        response = self.get(storage_file.internal_url)
        if self.encrypted(self.backend):  # a CDN would serve ciphertext
            self.assertEqual((response.status_code, response.content), (200, b"public bytes"))
            return
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            response.headers["Location"],
            f"https://cdn.example.com/files/{storage_file.relative_path}",
        )

    def test_range_and_conditional_requests(self):
        storage_file = self.new_file(b"0123456789", name="digits.txt")
        self.login(self.internal)
        response = self.get(storage_file.internal_url, Range="bytes=2-5")
        self.assertEqual((response.status_code, response.content), (206, b"2345"))
        self.assertEqual(response.headers["Content-Range"], "bytes 2-5/10")
        response = self.get(
            storage_file.internal_url, **{"If-None-Match": response.headers["ETag"]}
        )
        self.assertEqual((response.status_code, response.content), (304, b""))
        response = self.get(storage_file.internal_url, Range="bytes=20-30")
        self.assertEqual(response.status_code, 416)

    def test_lost_object_and_unreachable_backend(self):
        storage_file = self.new_file(b"lost", name="lost.txt")
        storage_file.backend_id._file_driver().delete(storage_file.relative_path)
        self.login(self.internal)
        with self.assertLogs("odoo.addons.storage_file.controllers.main", "WARNING"):
            self.assertEqual(self.get(storage_file.internal_url).status_code, 404)
        server = FTPServer().start()
        self.addCleanup(server.stop)
        remote = self.new_backend(backend_type="fs_url", fs_url=server.url)
        storage_file = self.new_file(b"remote", name="remote.txt", backend=remote)
        server.kill()
        with (
            mute_logger("odoo.addons.storage_backend.storage_drivers.base"),
            self.assertLogs("odoo.addons.storage_file.controllers.main", "WARNING") as logs,
        ):
            self.assertEqual(self.get(storage_file.internal_url).status_code, 503)
        self.assertIn("cannot be served", logs.output[0])
        self.assertNotIn(server.password, logs.output[0])

    def test_web_content_download_streams_too(self):
        """The form's download button (/web/content) never loads the file whole."""
        size = 32 * MIB
        storage_file = self.Files._create_from_stream(
            UnseekableStream(size), {"name": "export.csv", "backend_id": self.backend.id}
        )
        url = f"/web/content/storage.file/{storage_file.id}/data?download=true"
        self.login(self.portal)
        self.assertEqual(self.get(url).status_code, 404)
        self.login(self.internal)
        tracemalloc.start()
        try:
            response = self.opener.get(self.base_url() + url, stream=True, timeout=60)
            received = sum(len(chunk) for chunk in response.iter_content(MIB))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual((response.status_code, received), (200, size))
        self.assertTrue(response.headers["Content-Disposition"].startswith("attachment;"))
        self.assertEqual(response.headers["Content-Security-Policy"], "default-src 'none'")
        self.assertLess(peak, size / 2, "a whole copy (let alone base64) never sits in memory")

    def test_redirect_mode_streams_when_the_backend_has_no_temporary_urls(self):
        self.backend.private_file_delivery = "redirect"
        storage_file = self.new_file(b"streamed anyway", name="fallback.txt")
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual((response.status_code, response.content), (200, b"streamed anyway"))


class SignedUrlTests:
    """HTTP tests for backends whose driver signs URLs (S3, Swift): mixed into
    a :class:`StorageFileHttpCase` that sets these."""

    storage_url = None  # where the driver's URLs point
    signature_param = None  # the query parameter holding the signature
    public_values = {}  # what makes the backend's objects public

    def test_private_file_redirects_to_a_signed_url(self):
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
        self.assertTrue(location.startswith(self.storage_url), location)
        direct = requests.get(location, timeout=30)
        self.assertEqual((direct.status_code, direct.content), (200, b"signed bytes"))
        signature = location.partition(f"{self.signature_param}=")[2].partition("&")[0]
        self.assertTrue(signature)
        forged = requests.get(location.replace(signature, "0" * len(signature)), timeout=30)
        self.assertIn(forged.status_code, (401, 403))

    def test_private_file_streams_from_the_storage(self):
        storage_file = self.new_file(b"0123456789", name="digits.txt")
        self.login(self.internal)
        response = self.get(storage_file.internal_url)
        self.assertEqual((response.status_code, response.content), (200, b"0123456789"))
        response = self.get(storage_file.internal_url, Range="bytes=7-")
        self.assertEqual((response.status_code, response.content), (206, b"789"))

    def test_public_file_url_is_the_storage_url(self):
        self.backend.write({"is_public": True, **self.public_values})
        storage_file = self.new_file(b"public bytes", name="public.txt")
        self.assertTrue(storage_file.url.startswith(self.storage_url), storage_file.url)
        response = self.get(storage_file.internal_url)  # anonymous
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], storage_file.url)
        self.assertPublicUrlServes(storage_file.url, b"public bytes")

    def assertPublicUrlServes(self, url, content):
        direct = requests.get(url, timeout=30)
        self.assertEqual((direct.status_code, direct.content), (200, content))


@tagged("post_install", "-at_install")
class TestStorageFileTour(StorageFileHttpCase):
    def test_file_form(self):
        storage_file = self.new_file()
        self.start_tour(
            f"/web#id={storage_file.id}&model=storage.file&view_type=form",
            "storage_file_form",
            login="admin",
        )

    def test_backend_settings_form(self):
        self.start_tour(
            f"/web#id={self.backend.id}&model=storage.backend&view_type=form",
            "storage_file_backend_settings",
            login="admin",
        )
        self.assertEqual(self.backend.filename_strategy, "name_with_id")
        self.assertTrue(self.backend.is_public)
        self.assertEqual(self.backend.base_url, "https://cdn.example.com/files")


@tagged("post_install", "-at_install")
class TestStorageFileHttpLarge(StorageFileHttpCase):
    """200 MB in and out with bounded memory, measured with tracemalloc, which
    counts the allocations of every thread: this test, the HTTP server thread
    serving the request and the client reading the response."""

    SIZE = 200 * MIB
    MEMORY_BOUND = 40 * MIB  # generous: chunks are 1 MiB

    def test_200_mb_file_in_and_out_in_bounded_memory(self):
        self.login(self.internal)
        tracemalloc.start()
        try:
            storage_file = self.Files._create_from_stream(
                UnseekableStream(self.SIZE), {"name": "big.bin", "backend_id": self.backend.id}
            )
            upload_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            response = self.opener.get(
                self.base_url() + storage_file.internal_url, stream=True, timeout=300
            )
            self.assertEqual(response.status_code, 200)
            digest, received = hashlib.sha256(), 0
            for chunk in response.iter_content(MIB):
                digest.update(chunk)
                received += len(chunk)
            download_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual(storage_file.file_size, self.SIZE)
        self.assertEqual(received, self.SIZE)
        self.assertEqual(digest.hexdigest(), storage_file.checksum)
        _logger.info(
            "%d MiB on %s: tracemalloc peak %.1f MiB storing, %.1f MiB serving",
            self.SIZE // MIB,
            self.backend.backend_type,
            upload_peak / MIB,
            download_peak / MIB,
        )
        self.assertLess(upload_peak, self.MEMORY_BOUND)
        self.assertLess(download_peak, self.MEMORY_BOUND)
