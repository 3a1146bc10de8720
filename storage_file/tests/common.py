# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import hashlib
import io
import mimetypes

from odoo.tools.mimetypes import neuter_mimetype

from odoo.addons.storage_backend.tests.common import StorageBackendCase


class UnseekableStream(io.RawIOBase):
    """A stream that can be read once, like a socket or a pipe: ``size``
    bytes of a repeated pattern, produced on the fly."""

    def __init__(self, size, pattern=b"0123456789abcdef" * 4096):
        super().__init__()
        self.remaining = size
        self.pattern = pattern

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.remaining, len(self.pattern))
        buffer[:count] = self.pattern[:count]
        self.remaining -= count
        return count


def pattern_sha256(size, pattern=b"0123456789abcdef" * 4096):
    digest = hashlib.sha256()
    stream = UnseekableStream(size, pattern)
    while chunk := stream.read(len(pattern)):
        digest.update(chunk)
    return digest.hexdigest()


class StorageFileCase(StorageBackendCase):
    """Files on ``self.backend``, and helpers to look at what backends hold.

    The helpers go through the backend's driver, so a subclass whose
    ``new_backend()`` makes another kind of backend (S3, Swift) runs the same
    tests against it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Files = cls.env["storage.file"]

    def setUp(self):
        super().setUp()
        self.backend = self.new_backend(name="Files")

    def new_file(self, raw=b"hello world", name="hello.txt", backend=None, **values):
        return self.Files.create(
            {
                "name": name,
                "data": base64.b64encode(raw),
                "backend_id": (backend or self.backend).id,
                **values,
            }
        )

    @staticmethod
    def encrypted(backend):
        """Whether ``backend`` encrypts new files (storage_keymanager)."""
        return bool(backend._effective_values().get("encrypt_files"))

    def stored_objects(self, backend=None):
        """Every object (key) stored on ``backend`` for this database."""
        return sorted((backend or self.backend)._file_driver().list())

    def stored_content(self, storage_file, key=None):
        """The stored object of ``storage_file`` (or ``key`` on its backend), or None."""
        driver = storage_file.backend_id._file_driver()
        key = key or storage_file.relative_path
        return driver.get(key) if driver.exists(key) else None

    def assertMetadataMatchesObject(self, storage_file):
        """Re-read the stored object and recompute what the row says about it."""
        raw = self.stored_content(storage_file)
        self.assertEqual(storage_file.file_size, len(raw))
        self.assertEqual(storage_file.checksum, hashlib.sha256(raw).hexdigest())
        expected_type = mimetypes.guess_type(storage_file.name)[0]
        if expected_type:
            # only administrators store active content (html, svg...) as such
            expected_type = neuter_mimetype(expected_type, storage_file.create_uid)
            self.assertEqual(storage_file.mimetype, expected_type)
        return raw
