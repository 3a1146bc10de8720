"""A wrapper that confines another driver to a key prefix.

Used to give each database (or tenant) its own space on a shared backend.
"""

from .base import ObjectStat, StorageDriver
from .keys import validate_key


class PrefixDriver(StorageDriver):
    def __init__(self, inner, prefix):
        super().__init__(chunk_size=inner.chunk_size, retries=0)
        self.inner = inner
        self.prefix = validate_key(prefix.strip("/")) + "/"
        self.label = f"{inner.label} [{self.prefix}]"

    def _key(self, key):
        return self.prefix + key

    def _put(self, key, stream, *, content_type, overwrite):
        self.inner.put(self._key(key), stream, content_type=content_type, overwrite=overwrite)

    def _get(self, key):
        return self.inner.get(self._key(key))

    def _open(self, key):
        return self.inner.open(self._key(key))

    def _delete(self, key):
        self.inner.delete(self._key(key))

    def _exists(self, key):
        return self.inner.exists(self._key(key))

    def _stat(self, key):
        stat = self.inner.stat(self._key(key))
        return ObjectStat(key=key, size=stat.size, modified=stat.modified, etag=stat.etag)

    def _scan(self, prefix):
        cut = len(self.prefix)
        for stat in self.inner.scan(self.prefix + prefix):
            yield ObjectStat(
                key=stat.key[cut:], size=stat.size, modified=stat.modified, etag=stat.etag
            )

    def _copy(self, src_key, dst_key):
        self.inner.copy(self._key(src_key), self._key(dst_key))

    @property
    def can_write_at(self):
        return self.inner.can_write_at

    def _write_at(self, key, offset, data):
        self.inner.write_at(self._key(key), offset, data)

    def _url(self, key, expires):
        return self.inner.url(self._key(key), expires)

    def _unwrap(self, key):
        return self.inner._unwrap(self._key(key))

    def _bytes_free(self):
        return self.inner._bytes_free()

    def close(self):
        self.inner.close()
