"""The driver contract: one abstract base, small and boring.

Public methods validate their keys, then call the ``_``-prefixed hooks that
each driver implements. Hooks raise only :mod:`storage_drivers.errors`.
Operations that fail with :class:`StorageUnavailable` are retried with
exponential backoff when that is safe (idempotent, or a rewindable upload).
"""

import abc
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from .errors import ObjectExists, ObjectNotFound, StorageError, StorageUnavailable
from .keys import validate_key, validate_prefix
from .streams import DEFAULT_CHUNK_SIZE, Rewindable

_logger = logging.getLogger(__name__)

CHECK_PREFIX = ".storage-check/"


@dataclass(frozen=True)
class ObjectStat:
    key: str
    size: int
    modified: datetime | None = None
    etag: str | None = None


@dataclass(frozen=True)
class Usage:
    bytes_used: int
    object_count: int
    bytes_free: int | None = None
    quota_bytes: int | None = None


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    seconds: float = 0.0

    def __bool__(self):
        return self.ok


class StorageDriver(abc.ABC):
    """Base class of every driver and wrapper."""

    #: human name used in messages, e.g. "local disk /srv/files"
    label = "storage"
    #: whether :meth:`write_at` can modify objects in place
    can_write_at = False

    def __init__(self, *, chunk_size=DEFAULT_CHUNK_SIZE, retries=3, backoff=0.2):
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.chunk_size = chunk_size
        self.retries = retries
        self.backoff = backoff

    def __repr__(self):
        return f"<{type(self).__name__} {self.label}>"

    # -- public contract ---------------------------------------------------

    def put(self, key, data, *, content_type=None, overwrite=True):
        """Store ``data`` (bytes or binary file object) under ``key``."""
        validate_key(key)
        source = Rewindable(data)
        return self._retry(
            lambda: self._put(
                key,
                source.rewind() if source.can_retry else source.stream,
                content_type=content_type,
                overwrite=overwrite,
            ),
            retry=source.can_retry,
            what=f"upload {key!r}",
        )

    def get(self, key):
        """Return the whole content of ``key`` as bytes."""
        validate_key(key)
        return self._retry(lambda: self._get(key), what=f"download {key!r}")

    def open(self, key):
        """Return a binary file object streaming the content of ``key``."""
        validate_key(key)
        return self._retry(lambda: self._open(key), what=f"open {key!r}")

    def delete(self, key):
        """Delete ``key``; deleting a missing key is not an error."""
        validate_key(key)
        self._retry(lambda: self._delete(key), what=f"delete {key!r}")

    def exists(self, key):
        validate_key(key)
        return self._retry(lambda: self._exists(key), what=f"look up {key!r}")

    def stat(self, key):
        """:class:`ObjectStat` of ``key``; raises :class:`ObjectNotFound`."""
        validate_key(key)
        return self._retry(lambda: self._stat(key), what=f"stat {key!r}")

    def list(self, prefix=""):
        """Iterate, in no promised order, over every key starting with ``prefix``."""
        return (stat.key for stat in self.scan(prefix))

    def scan(self, prefix=""):
        """Like :meth:`list`, yielding :class:`ObjectStat` (size at least)."""
        return self._scan(validate_prefix(prefix))

    def copy(self, src_key, dst_key):
        """Copy an object, server-side where the backend can."""
        validate_key(src_key)
        validate_key(dst_key)
        self._retry(lambda: self._copy(src_key, dst_key), what=f"copy {src_key!r}")

    def write_at(self, key, offset, data):
        """Overwrite bytes of an existing object in place, durably.

        Only where :attr:`can_write_at` (local disk); the object never grows.
        Used to rewrite a fixed-size header without copying the object.
        """
        validate_key(key)
        if not self.can_write_at:
            raise StorageError(f"{self.label} cannot modify objects in place")
        self._retry(lambda: self._write_at(key, offset, data), what=f"modify {key!r}")

    def copy_to(self, target, key, target_key=None):
        """Copy ``key`` into another driver, server-side when both allow it."""
        target_key = target_key or key
        validate_key(key)
        validate_key(target_key)
        source, source_key = self._unwrap(key)
        destination, destination_key = target._unwrap(target_key)
        if source is destination:
            source.copy(source_key, destination_key)
            return

        def stream_copy():
            if not source._copy_to(destination, source_key, destination_key):
                with self.open(key) as stream:
                    target.put(target_key, stream)

        self._retry(stream_copy, retry=False, what=f"copy {key!r} to {target.label}")

    def url(self, key, expires=3600):
        """A direct URL (public, presigned or temporary) or ``None``."""
        validate_key(key)
        return self._url(key, int(expires))

    def usage(self):
        """:class:`Usage` of the whole store as seen by this driver."""
        total = count = 0
        for stat in self.scan(""):
            total += stat.size
            count += 1
        return Usage(bytes_used=total, object_count=count, bytes_free=self._bytes_free())

    def check(self):
        """Write, read back and delete a probe; never raises."""
        started = time.monotonic()
        key = f"{CHECK_PREFIX}{uuid.uuid4().hex}"
        payload = uuid.uuid4().bytes * 64
        try:
            self.put(key, payload)
            try:
                if self.get(key) != payload:
                    return CheckResult(False, f"{self.label}: the probe read back differs")
            finally:
                self.delete(key)
        except StorageError as error:
            return CheckResult(False, f"{self.label}: {error}", time.monotonic() - started)
        elapsed = time.monotonic() - started
        return CheckResult(
            True,
            f"{self.label}: wrote, read back and deleted a probe in {elapsed * 1000:.0f} ms",
            elapsed,
        )

    def close(self):
        """Release connections; the driver may be reused afterwards."""

    # -- hooks for drivers --------------------------------------------------

    @abc.abstractmethod
    def _put(self, key, stream, *, content_type, overwrite):
        """Write ``stream`` under ``key``; the object appears whole or not at all."""

    @abc.abstractmethod
    def _open(self, key):
        """A readable binary file object, or :class:`ObjectNotFound`."""

    @abc.abstractmethod
    def _delete(self, key):
        """Delete ``key``, silently when absent."""

    @abc.abstractmethod
    def _stat(self, key):
        """:class:`ObjectStat` or :class:`ObjectNotFound`."""

    @abc.abstractmethod
    def _scan(self, prefix):
        """Iterate over :class:`ObjectStat` of keys starting with ``prefix``."""

    def _get(self, key):
        with self._open(key) as stream:
            return stream.read()

    def _exists(self, key):
        try:
            self._stat(key)
        except ObjectNotFound:
            return False
        return True

    def _copy(self, src_key, dst_key):
        with self._open(src_key) as stream:
            self._put(dst_key, stream, content_type=None, overwrite=True)

    def _url(self, key, expires):
        return None

    def _write_at(self, key, offset, data):
        raise StorageError(f"{self.label} cannot modify objects in place")

    def _unwrap(self, key):
        """The driver that really stores ``key``, and its key there."""
        return self, key

    def _copy_to(self, target, key, target_key):
        """Server-side copy into another driver of the same kind; False if not possible."""
        return False

    def _bytes_free(self):
        return None

    # -- helpers -------------------------------------------------------------

    def _check_overwrite(self, key, overwrite):
        if not overwrite and self._exists(key):
            raise ObjectExists(f"{key!r} already exists on {self.label}")

    def _retry(self, operation, *, retry=True, what="operation"):
        """Run ``operation``, retrying :class:`StorageUnavailable` with backoff."""
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            try:
                return operation()
            except StorageUnavailable as error:
                # a connection that failed once is not trusted again
                self._on_unavailable()
                if attempt == attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                _logger.warning(
                    "%s: %s failed (%s), retry %d/%d in %.1fs",
                    self.label,
                    what,
                    error,
                    attempt,
                    attempts - 1,
                    delay,
                )
                time.sleep(delay)

    def _on_unavailable(self):
        """Called after a failure: drop cached connections."""
