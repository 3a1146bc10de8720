"""The at-rest format of encrypted objects (envelope encryption, version 1).

Every object gets a fresh random 256-bit data key. The data is cut into
chunks of ``chunk_size`` plaintext bytes, each sealed with AES-256-GCM::

    offset  size           field
    0       8              magic b"\\x89SKM\\r\\n\\x1a\\n"
    8       1              format version (1)
    9       4              chunk size (plaintext bytes per chunk, big-endian)
    13      7              random nonce prefix
    20      2              slot size
    22      2 * slot size  two key slots
    then    chunks         ciphertext + 16-byte tag each; the last may be shorter

A key slot holds ``len(key id) | key id | len(wrapped) | wrapped data key |
CRC-32`` zero-padded to the slot size; an empty slot is all zeros. The data
key is wrapped by a master key with the first 20 bytes (the *identity*) as
context. The CRC tells a damaged slot from one under an unknown master key.

Chunk ``i`` uses the nonce ``prefix | i (4 bytes) | final flag (1 byte)``
and the identity as associated data, so flipping a byte, swapping, dropping
or appending a chunk fails authentication. The slots are not part of any
chunk's associated data: re-wrapping the data key under another master key
rewrites only the header. Two slots make that rewrite crash-safe in place:
the new slot is written beside the old one before the old one is cleared.

Objects not starting with the magic are plaintext; a magic with one or two
damaged bytes is reported as damage rather than served as plaintext.
"""

import os
import struct
import zlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IntegrityError, StorageError, UnknownMasterKey
from .master_keys import KEY_BYTES

MAGIC = b"\x89SKM\r\n\x1a\n"
VERSION = 1
TAG_BYTES = 16
NONCE_PREFIX_BYTES = 7
MAX_CHUNKS = 2**32
MAX_CHUNK_SIZE = 64 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 256 * 1024  # fastest in bench/encryption.py (per-call overhead vs cache)
MIN_SLOT_SIZE = 100  # room for a 32-character key id and a locally wrapped key
MAX_SLOT_SIZE = 4096

_IDENTITY = struct.Struct(">8sBI7s")
_PREAMBLE = struct.Struct(">8sBI7sH")
PREAMBLE_BYTES = _PREAMBLE.size  # 22


@dataclass(frozen=True)
class Slot:
    key_id: str
    wrapped: bytes

    @property
    def size(self):
        return 1 + len(self.key_id.encode()) + 2 + len(self.wrapped) + 4

    def pack(self, slot_size):
        raw = self.key_id.encode()
        data = bytes([len(raw)]) + raw + struct.pack(">H", len(self.wrapped)) + self.wrapped
        return (data + struct.pack(">I", zlib.crc32(data))).ljust(slot_size, b"\x00")


@dataclass
class Header:
    chunk_size: int
    nonce_prefix: bytes
    slot_size: int
    slots: list = field(default_factory=lambda: [None, None])

    @property
    def identity(self):
        """The immutable part: associated data of every chunk and key wrap."""
        return _IDENTITY.pack(MAGIC, VERSION, self.chunk_size, self.nonce_prefix)

    @property
    def size(self):
        return PREAMBLE_BYTES + 2 * self.slot_size

    def slot_offset(self, index):
        return PREAMBLE_BYTES + index * self.slot_size

    def pack_slot(self, index):
        slot = self.slots[index]
        return slot.pack(self.slot_size) if slot else bytes(self.slot_size)

    def pack(self):
        preamble = _PREAMBLE.pack(
            MAGIC, VERSION, self.chunk_size, self.nonce_prefix, self.slot_size
        )
        return preamble + self.pack_slot(0) + self.pack_slot(1)

    def plaintext_size(self, stored_size):
        """Plaintext size of a whole object of ``stored_size`` bytes."""
        body = stored_size - self.size
        if body < TAG_BYTES:
            raise IntegrityError("the encrypted object is truncated")
        chunks = -(-body // (self.chunk_size + TAG_BYTES))
        plaintext = body - chunks * TAG_BYTES
        if chunks > 1 and plaintext <= (chunks - 1) * self.chunk_size:
            raise IntegrityError("the encrypted object is truncated")
        return plaintext


def new_header(keys, chunk_size):
    """A header for a new object and its fresh data key."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_SIZE}")
    header = Header(chunk_size, os.urandom(NONCE_PREFIX_BYTES), MIN_SLOT_SIZE)
    data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    slot = Slot(*keys.wrap(data_key, header.identity))
    header.slot_size = max(MIN_SLOT_SIZE, slot.size)
    if header.slot_size > MAX_SLOT_SIZE:
        raise StorageError("the wrapped data key does not fit in a key slot")
    header.slots[0] = slot
    return header, data_key


def read_exact(stream, size):
    """Up to ``size`` bytes, fewer only at the end of ``stream``."""
    data = stream.read(size) or b""
    if len(data) >= size or not data:
        return data
    parts, received = [data], len(data)
    while received < size:
        more = stream.read(size - received)
        if not more:
            break
        parts.append(more)
        received += len(more)
    return b"".join(parts)


def read_header(stream):
    """``(header, b"")`` for an encrypted stream, ``(None, first bytes)`` else.

    The stream is left at the first chunk, or after the bytes returned.
    """
    start = read_exact(stream, len(MAGIC))
    if start != MAGIC:
        if len(start) == len(MAGIC) and sum(map(int.__eq__, start, MAGIC)) >= 6:
            raise IntegrityError("the encrypted object's header is damaged")
        return None, start
    rest = read_exact(stream, PREAMBLE_BYTES - len(MAGIC))
    if len(rest) < PREAMBLE_BYTES - len(MAGIC):
        raise IntegrityError("the encrypted object's header is truncated")
    __, version, chunk_size, prefix, slot_size = _PREAMBLE.unpack(start + rest)
    if version != VERSION:
        raise IntegrityError(
            f"unknown encryption format version {version} (damaged, or written by a newer release)"
        )
    if not (1 <= chunk_size <= MAX_CHUNK_SIZE and MIN_SLOT_SIZE <= slot_size <= MAX_SLOT_SIZE):
        raise IntegrityError("the encrypted object's header is damaged")
    raw_slots = read_exact(stream, 2 * slot_size)
    if len(raw_slots) < 2 * slot_size:
        raise IntegrityError("the encrypted object's header is truncated")
    header = Header(chunk_size, prefix, slot_size)
    for index in (0, 1):
        raw = raw_slots[index * slot_size : (index + 1) * slot_size]
        header.slots[index] = _parse_slot(raw) if any(raw) else None
    return header, b""


def _parse_slot(raw):
    """A :class:`Slot`, or ``None`` when damaged (torn by a crash mid-rewrite,
    say): the other slot is then used."""
    id_length = raw[0]
    try:
        key_id = raw[1 : 1 + id_length].decode()
        (wrapped_length,) = struct.unpack_from(">H", raw, 1 + id_length)
        end = 3 + id_length + wrapped_length
        (crc,) = struct.unpack_from(">I", raw, end)
    except (UnicodeDecodeError, struct.error):
        return None
    if not id_length or crc != zlib.crc32(raw[:end]) or any(raw[end + 4 :]):
        return None
    return Slot(key_id, raw[3 + id_length : end])


def unwrap_data_key(header, keys):
    """``(data_key, slot index)`` from the first slot ``keys`` can open."""
    slots = [(index, slot) for index, slot in enumerate(header.slots) if slot]
    if not slots:
        raise IntegrityError("the encrypted object's key slots are damaged")
    if keys is None:
        raise UnknownMasterKey("the object is encrypted and no master key is configured")
    failure = None
    for index, slot in slots:
        try:
            return keys.unwrap(slot.key_id, slot.wrapped, header.identity), index
        except IntegrityError as error:
            failure = error
        except UnknownMasterKey:
            pass
    if failure is not None:
        raise failure
    names = ", ".join(repr(slot.key_id) for __, slot in slots)
    raise UnknownMasterKey(f"the object is encrypted under master key {names}, not configured")


class ChunkCipher:
    """Seals and opens the chunks of one object."""

    def __init__(self, header, data_key):
        self.header = header
        self._aead = AESGCM(data_key)
        self._aad = header.identity

    def _nonce(self, index, final):
        if index >= MAX_CHUNKS:
            raise StorageError("the object has too many chunks for its chunk size")
        return self.header.nonce_prefix + struct.pack(">IB", index, 1 if final else 0)

    def seal(self, index, final, plaintext):
        return self._aead.encrypt(self._nonce(index, final), plaintext, self._aad)

    def open(self, index, final, block):
        try:
            return self._aead.decrypt(self._nonce(index, final), block, self._aad)
        except (InvalidTag, ValueError) as error:
            raise IntegrityError(
                f"chunk {index} of the encrypted object was altered, moved or truncated"
            ) from error

    def raw_blocks(self, stream):
        """The sealed chunks of ``stream`` (positioned after the header)."""
        size = self.header.chunk_size + TAG_BYTES
        return iter(lambda: read_exact(stream, size), b"")

    def blocks(self, raw_blocks):
        """Yield ``(block, plaintext)`` for each of ``raw_blocks``, verified.

        A full block is the last one when no block follows: one block of
        look-ahead.
        """
        size = self.header.chunk_size + TAG_BYTES
        index, block = 0, next(raw_blocks, b"")
        while True:
            if len(block) < TAG_BYTES:
                raise IntegrityError("the encrypted object is truncated")
            following = next(raw_blocks, b"") if len(block) == size else b""
            yield block, self.open(index, not following, block)
            if not following:
                return
            index, block = index + 1, following
