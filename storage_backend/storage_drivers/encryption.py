"""A driver wrapper encrypting objects at rest (format: :mod:`.envelope`).

Reads always decrypt objects that carry the encryption header and return
other objects as they are, so switching encryption on or off never makes
existing objects unreadable. Writes are encrypted when ``encrypt`` is set.
Sizes reported by :meth:`stat` and :meth:`scan` are plaintext sizes;
:meth:`usage` reports what the backend stores.
"""

from .base import CheckResult, ObjectStat, StorageDriver
from .encrypted_streams import decrypting_reader, encrypting_reader, naming, peek
from .envelope import DEFAULT_CHUNK_SIZE, MAGIC, read_header
from .errors import ConfigError, ObjectNotFound, StorageError
from .keys import validate_prefix

#: stored content type of encrypted objects: the real one would leak information
ENCRYPTED_CONTENT_TYPE = "application/octet-stream"


class EncryptingDriver(StorageDriver):
    """Envelope encryption over any driver.

    ``keys`` is a :class:`~storage_drivers.master_keys.MasterKeyProvider`
    (``None`` when no master key is configured: plaintext only).
    """

    def __init__(self, inner, keys=None, *, encrypt=True, chunk_size=DEFAULT_CHUNK_SIZE):
        if encrypt and keys is None:
            raise ConfigError(f"encrypting {inner.label} needs a master key")
        super().__init__(chunk_size=chunk_size, retries=0)  # the inner driver retries
        self.inner = inner
        self.keys = keys
        self.encrypt = encrypt
        self.label = f"{inner.label} (encrypted)" if encrypt else inner.label

    def __getattr__(self, name):
        # only called for attributes the wrapper lacks: the inner driver's
        # settings (bucket, container, root...) stay readable through it
        if name.startswith("_") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # -- writes --------------------------------------------------------------------

    def _put(self, key, stream, *, content_type, overwrite):
        if not self.encrypt:
            head, stream = peek(stream, len(MAGIC))
            if head != MAGIC:
                self.inner.put(key, stream, content_type=content_type, overwrite=overwrite)
                return
            # stored as is, it would read back as an encrypted object
            if self.keys is None:
                raise StorageError(
                    f"{key!r} starts like an encrypted object; storing it on "
                    f"{self.label} needs a master key"
                )
        self.inner.put(
            key,
            encrypting_reader(stream, self.keys, self.chunk_size),
            content_type=ENCRYPTED_CONTENT_TYPE,
            overwrite=overwrite,
        )

    # -- reads -----------------------------------------------------------------------

    def _open(self, key):
        return decrypting_reader(self.inner.open(key), self.keys, f"{key!r} on {self.label}")

    def header(self, key):
        """The encryption header of ``key``, or ``None`` for plaintext."""
        with self.inner.open(key) as raw, self._about(key):
            return read_header(raw)[0]

    def _stat(self, key):
        return self._plaintext_stat(self.inner.stat(key))

    def _plaintext_stat(self, stat):
        header = self.header(stat.key) if stat.size >= len(MAGIC) else None
        if header is None:
            return stat
        with self._about(stat.key):
            size = header.plaintext_size(stat.size)
        return ObjectStat(key=stat.key, size=size, modified=stat.modified, etag=stat.etag)

    def _scan(self, prefix):
        """Reads each object's header for its plaintext size; :meth:`list` does not."""
        for stat in self.inner.scan(prefix):
            try:
                yield self._plaintext_stat(stat)
            except ObjectNotFound:
                continue  # deleted since listed

    def list(self, prefix=""):
        return self.inner.list(validate_prefix(prefix))

    def usage(self):
        return self.inner.usage()

    def _url(self, key, expires):
        # a direct URL would serve ciphertext
        if self.encrypt:
            return None
        try:
            if self.header(key) is not None:
                return None
        except ObjectNotFound:
            pass
        return self.inner.url(key, expires)

    def check(self):
        """The backend's own check, then a probe through encryption."""
        result = self.inner.check()
        if not (result.ok and self.encrypt):
            return result
        probe = super().check()
        if not probe.ok:
            return probe
        return CheckResult(
            True,
            f"{result.message}; an encrypted probe read back correctly",
            result.seconds + probe.seconds,
        )

    # -- pass-through ------------------------------------------------------------

    def _delete(self, key):
        self.inner.delete(key)

    def _exists(self, key):
        return self.inner.exists(key)

    def _copy(self, src_key, dst_key):
        self.inner.copy(src_key, dst_key)  # the header travels with the object

    def _copy_to(self, target, key, target_key):
        """Copy as stored into another encrypting wrapper (no decrypting and
        re-encrypting), unless a plaintext object must become encrypted."""
        if not isinstance(target, EncryptingDriver):
            return False
        if target.encrypt and self.header(key) is None:
            return False
        self.inner.copy_to(target.inner, key, target_key)
        return True

    def close(self):
        self.inner.close()

    def _about(self, key):
        return naming(f"{key!r} on {self.label}")
