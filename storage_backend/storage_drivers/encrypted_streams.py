"""Streams of the encryption format: encrypting a plaintext source, and
decrypting (or passing through) what a backend returns, in bounded memory.
"""

import contextlib
import io

from .envelope import (
    DEFAULT_CHUNK_SIZE,
    ChunkCipher,
    new_header,
    read_exact,
    read_header,
    unwrap_data_key,
)
from .errors import StorageError
from .streams import ReadAhead, ReadStream


def encrypting_reader(source, keys, chunk_size=DEFAULT_CHUNK_SIZE):
    """A stream of the encrypted form of ``source`` (a binary file object)."""
    return _EncryptingReader(source, keys, chunk_size)


def decrypting_reader(raw, keys, what="the object"):
    """A stream of the plaintext of ``raw``, encrypted or not; closes ``raw``."""
    try:
        with naming(what):
            header, head = read_header(raw)
            if header is None:
                return _PrefixedReader(head, raw)
            data_key, __ = unwrap_data_key(header, keys)
        return _DecryptingReader(raw, ChunkCipher(header, data_key), what)
    except BaseException:
        raw.close()
        raise


@contextlib.contextmanager
def naming(what):
    """Name the object in storage errors raised inside."""
    try:
        yield
    except StorageError as error:
        if what in str(error):
            raise
        raise type(error)(f"{what}: {error}") from error


class ChunkedReader(ReadStream):
    """A read-only stream over blocks produced on demand by :meth:`_blocks`.

    ``read(size)`` returns ``size`` bytes unless the end is reached; memory
    holds one block.
    """

    def __init__(self):
        super().__init__()
        self._iterator = None
        self._block = b""
        self._offset = 0
        self._position = 0
        self._read_ahead = None

    def _blocks(self):
        raise NotImplementedError

    def _ahead(self, iterator, after=2):
        """The items of ``iterator``: the first ``after`` ones from here, the
        others from a :class:`ReadAhead` thread (small objects start none).

        ``iterator`` must not reference this reader, so that an abandoned
        reader is collected, which stops the thread.
        """
        for __ in range(after):
            item = next(iterator, None)
            if item is None:
                return
            yield item
        self._read_ahead = ReadAhead(iterator)
        yield from self._read_ahead

    def _stop_ahead(self):
        if self._read_ahead is not None:
            self._read_ahead.close()
            self._read_ahead = None

    def close(self):
        self._stop_ahead()
        super().close()

    def read(self, size=-1):
        if size is None or size < 0:
            parts = [self._block[self._offset :]]
            while self._next():
                parts.append(self._block)
            self._offset = len(self._block)
        else:
            parts, wanted = [], size
            while wanted:
                if self._offset >= len(self._block) and not self._next():
                    break
                if not self._offset and len(self._block) <= wanted:
                    piece = self._block
                else:
                    piece = self._block[self._offset : self._offset + wanted]
                self._offset += len(piece)
                wanted -= len(piece)
                parts.append(piece)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._position += len(data)
        return data

    def readall(self):
        return self.read()

    def _next(self):
        if self._iterator is None:
            self._iterator = self._blocks()
        self._block, self._offset = next(self._iterator, b""), 0
        return bool(self._block)


class _EncryptingReader(ChunkedReader):
    """Header then sealed chunks of a plaintext source; sealing runs ahead in
    a thread, overlapping with the consumer's writes.

    Rewindable when the source is: a retried upload starts over with a new
    data key (a nonce is never reused with different data).
    """

    def __init__(self, source, keys, chunk_size):
        super().__init__()
        self._source = source
        self._keys = keys
        self._chunk_size = chunk_size
        self._start = _tell(source)
        self._position = 0

    def _blocks(self):
        return self._ahead(_sealed_blocks(self._source, self._keys, self._chunk_size))

    def seekable(self):
        return self._start is not None

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        if self._start is None or offset != 0 or whence != io.SEEK_SET:
            raise io.UnsupportedOperation("an encrypting stream only rewinds to its start")
        self._stop_ahead()
        self._source.seek(self._start)
        self._iterator, self._block, self._offset, self._position = None, b"", 0, 0
        return 0


def _sealed_blocks(source, keys, chunk_size):
    """The header, then each chunk sealed (one chunk read ahead: the last
    one is sealed as final)."""
    header, data_key = new_header(keys, chunk_size)
    cipher = ChunkCipher(header, data_key)
    yield header.pack()
    index, current = 0, read_exact(source, chunk_size)
    while True:
        following = read_exact(source, chunk_size) if len(current) == chunk_size else b""
        yield cipher.seal(index, not following, current)
        if not following:
            return
        index, current = index + 1, following


class _DecryptingReader(ChunkedReader):
    """Plaintext of the chunks of ``raw``; reading ``raw`` runs ahead in a
    thread, overlapping with decryption."""

    def __init__(self, raw, cipher, what):
        super().__init__()
        self._raw = raw
        self._cipher = cipher
        self._what = what

    def _blocks(self):
        for __, plaintext in self._cipher.blocks(self._ahead(self._cipher.raw_blocks(self._raw))):
            if plaintext:
                yield plaintext

    def _next(self):
        with naming(self._what):
            return super()._next()

    def close(self):
        if not self.closed:
            self._stop_ahead()
            self._raw.close()
        super().close()


class _PrefixedReader(ReadStream):
    """``head`` (already read from ``raw``) followed by the rest of ``raw``."""

    def __init__(self, head, raw):
        super().__init__()
        self._head = head
        self._raw = raw

    def read(self, size=-1):
        if size is None or size < 0:
            data, self._head = self._head + self._raw.read(), b""
            return data
        if not self._head:
            return self._raw.read(size)
        data, self._head = self._head[:size], self._head[size:]
        if len(data) < size:
            data += self._raw.read(size - len(data)) or b""
        return data

    def readall(self):
        return self.read()

    def close(self):
        if not self.closed:
            self._raw.close()
        super().close()


def _tell(stream):
    try:
        return stream.tell() if stream.seekable() else None
    except (AttributeError, OSError):
        return None


def peek(stream, size):
    """``(first bytes, a stream still starting with them)``."""
    start = _tell(stream)
    head = read_exact(stream, size)
    if start is not None:
        stream.seek(start)
        return head, stream
    return head, _PrefixedReader(head, stream)
