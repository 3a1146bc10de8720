# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Content handed to a storage.file, measured before anything is stored.

The naming strategy needs the sha256 of the content before the upload starts,
and an empty file must be refused before anything reaches a backend, so the
content is read once to measure it and once more to upload it. Bytes and
seekable streams are simply rewound; any other stream is first copied into a
temporary file. Memory stays bounded by the chunk size whatever the size.
"""

import hashlib
import io
import tempfile

from odoo.addons.storage_backend.storage_drivers.streams import DEFAULT_CHUNK_SIZE, iter_chunks

HEAD_SIZE = 4096  # enough to sniff a mimetype


def _is_seekable(stream):
    try:
        return stream.seekable()
    except (AttributeError, ValueError, OSError):
        return False


class Content:
    """``size``, ``sha256`` and ``head`` of some content; ``open()`` to upload it.

    Use as a context manager: a temporary copy is removed on exit.
    """

    def __init__(self, data, chunk_size=DEFAULT_CHUNK_SIZE):
        self._spool = None
        if isinstance(data, (bytes, bytearray, memoryview)):
            self._stream, self._start = io.BytesIO(data), 0
        elif not hasattr(data, "read"):
            raise TypeError(f"content must be bytes or a binary file object, not {type(data)}")
        elif _is_seekable(data):
            self._stream, self._start = data, data.tell()
        else:
            # Let go of memory past one chunk: bigger content spills to disk.
            self._spool = tempfile.SpooledTemporaryFile(max_size=chunk_size)  # noqa: SIM115
            self._stream, self._start = self._spool, 0
        self.size = 0
        self.head = b""
        digest = hashlib.sha256()
        source = self._stream if self._spool is None else data
        for chunk in iter_chunks(source, chunk_size):
            if self._spool is not None:
                self._spool.write(chunk)
            if len(self.head) < HEAD_SIZE:
                self.head += chunk[: HEAD_SIZE - len(self.head)]
            digest.update(chunk)
            self.size += len(chunk)
        self.sha256 = digest.hexdigest()

    def open(self):
        """The content from its start, ready to be uploaded."""
        self._stream.seek(self._start)
        return self._stream

    def close(self):
        if self._spool is not None:
            self._spool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
