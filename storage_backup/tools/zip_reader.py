# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Read a zip archive front to back, from a stream that cannot seek.

``zipfile`` needs to seek to the central directory at the end; a restore
streamed from a backend cannot. The local headers suffice: each member is
read in turn, deflated members end by themselves (so sizes written after the
data, as in streamed archives, are not needed up front), and every member's
CRC and size are checked.
"""

import struct
import zlib

from odoo.addons.storage_backend.storage_drivers.streams import ReadStream

from .streams import BackupError

LOCAL_HEADER = b"PK\x03\x04"
CENTRAL_HEADER = b"PK\x01\x02"
END_RECORDS = (b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
DESCRIPTOR = b"PK\x07\x08"
HEADER = struct.Struct("<HHHHHLLLHH")
ZIP64_EXTRA = 0x0001
USE_DESCRIPTOR = 0x08
UTF8_NAME = 0x800
STORED, DEFLATED = 0, 8
CHUNK = 1024 * 1024


class _Source:
    """The archive stream, with room to push back bytes read too far."""

    def __init__(self, stream):
        self.stream = stream
        self.pending = b""

    def read(self, size):  # pylint: disable=method-required-super
        if self.pending:
            data, self.pending = self.pending[:size], self.pending[size:]
            return data
        return self.stream.read(size)

    def read_exact(self, size):
        data = self.read(size)
        while len(data) < size:
            more = self.read(size - len(data))
            if not more:
                raise BackupError("the archive ends in the middle of a member")
            data += more
        return data

    def unread(self, data):
        self.pending = data + self.pending


class Member(ReadStream):
    """One member's content, a readable stream; read it to its end or not."""

    def __init__(self, source, name, flags, method, crc, compressed, size, zip64):
        super().__init__()
        self.name = name
        self._source = source
        self._flags = flags
        self._method = method
        self._expected = (crc, size)
        self._left = None if flags & USE_DESCRIPTOR else compressed
        self._zip64 = zip64
        self._inflater = zlib.decompressobj(-15) if method == DEFLATED else None
        self._crc = 0
        self._size = 0
        self._done = False
        if method not in (STORED, DEFLATED):
            raise BackupError(f"{name}: unsupported compression method {method}")
        if method == STORED and self._left is None:
            raise BackupError(f"{name}: stored member of unknown size")

    def read(self, size=CHUNK):  # pylint: disable=method-required-super
        size = CHUNK if size is None or size < 0 else size
        while not self._done:
            try:
                data = self._next(size)
            except zlib.error as error:
                raise BackupError(f"{self.name} is corrupted: {error}") from error
            if data:
                self._crc = zlib.crc32(data, self._crc)
                self._size += len(data)
                return data
        return b""

    def _next(self, size):
        if self._inflater is None:  # stored: the size is known
            if not self._left:
                self._finish()
                return b""
            data = self._source.read(min(size, self._left))
            if not data:
                raise BackupError(f"the archive ends inside {self.name}")
            self._left -= len(data)
            return data
        inflater = self._inflater
        if inflater.eof:
            # what followed the end of the deflate stream: the next records
            # (zlib may leave a copy of them in unconsumed_tail too)
            self._source.unread(inflater.unused_data)
            self._finish()
            return b""
        if inflater.unconsumed_tail:
            return inflater.decompress(inflater.unconsumed_tail, size)
        want = CHUNK if self._left is None else min(CHUNK, self._left)
        raw = self._source.read(want) if want else b""
        if self._left is not None:
            self._left -= len(raw)
        # no input left: zlib may still hold the last bits of the stream
        data = inflater.decompress(raw, size)
        if not (raw or data or inflater.eof):
            raise BackupError(f"the archive ends inside {self.name}")
        return data

    def _finish(self):
        self._done = True
        crc, size = self._expected
        if self._flags & USE_DESCRIPTOR:
            head = self._source.read_exact(4)
            if head == DESCRIPTOR:
                head = self._source.read_exact(4)
            crc = struct.unpack("<L", head)[0]
            sizes = self._source.read_exact(16 if self._zip64 else 8)
            size = struct.unpack("<QQ" if self._zip64 else "<LL", sizes)[1]
        if (self._crc, self._size) != (crc, size):
            raise BackupError(f"{self.name} is corrupted (CRC or size mismatch)")

    def skip(self):
        while self.read(CHUNK):
            pass


def _zip64_sizes(extra, compressed, size):
    """Sizes from the zip64 extra field, where the header holds 0xFFFFFFFF."""
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == ZIP64_EXTRA:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            return True, compressed, size
        position += 4 + length
    return False, compressed, size


def iter_members(stream):
    """Yield each :class:`Member` in archive order; unread content is skipped.

    Ends at the central directory, whose bytes are then read and discarded
    (so that a hash of ``stream`` covers the whole archive).
    """
    source = _Source(stream)
    while True:
        signature = source.read_exact(4)
        if signature == CENTRAL_HEADER or signature in END_RECORDS:
            while source.read(CHUNK):
                pass
            return
        if signature != LOCAL_HEADER:
            raise BackupError("not a zip archive, or a corrupted one")
        fields = HEADER.unpack(source.read_exact(HEADER.size))
        __, flags, method, __, __, crc, compressed, size, name_length, extra_length = fields
        raw_name = source.read_exact(name_length)
        name = raw_name.decode("utf-8" if flags & UTF8_NAME else "cp437")
        extra = source.read_exact(extra_length)
        zip64, compressed, size = _zip64_sizes(extra, compressed, size)
        member = Member(source, name, flags, method, crc, compressed, size, zip64)
        yield member
        member.skip()
