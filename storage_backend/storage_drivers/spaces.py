"""A read-only driver over several buckets (or containers), named by the key.

Files stored by other addons sometimes name their bucket in the file
reference itself (``s3://<bucket>/<key>``). Seen through this driver, such a
file is the key ``<bucket>/<key>``: the first segment picks the bucket's
driver, built on demand by ``driver_for(bucket)``, and the rest is the key
there. Nothing is ever written or deleted through it: these objects belong
to the other addon until they are adopted.
"""

import threading

from .base import ObjectStat, StorageDriver
from .errors import ObjectNotFound, StorageError


class SpacesDriver(StorageDriver):
    def __init__(self, driver_for, label):
        super().__init__(retries=0)
        self._driver_for = driver_for
        self._drivers = {}
        self._lock = threading.Lock()
        self.label = label

    def _space(self, key):
        space, __, rest = key.partition("/")
        if not rest:
            raise ObjectNotFound(f"{key!r} names no object inside a bucket on {self.label}")
        with self._lock:
            driver = self._drivers.get(space)
            if driver is None:
                driver = self._drivers[space] = self._driver_for(space)
        return driver, rest

    def _read_only(self, key):
        return StorageError(f"{self.label} is read-only: {key!r} belongs to another addon")

    def _put(self, key, stream, *, content_type, overwrite):
        raise self._read_only(key)

    def _delete(self, key):
        raise self._read_only(key)

    def _copy(self, src_key, dst_key):
        raise self._read_only(dst_key)

    def _open(self, key):
        driver, rest = self._space(key)
        return driver.open(rest)

    def _get(self, key):
        driver, rest = self._space(key)
        return driver.get(rest)

    def _stat(self, key):
        driver, rest = self._space(key)
        stat = driver.stat(rest)
        return ObjectStat(key=key, size=stat.size, modified=stat.modified, etag=stat.etag)

    def _exists(self, key):
        driver, rest = self._space(key)
        return driver.exists(rest)

    def _scan(self, prefix):
        space, slash, rest = prefix.partition("/")
        if not slash:
            return  # buckets are not listed
        driver, __ = self._space(f"{space}/x")
        for stat in driver.scan(rest):
            yield ObjectStat(
                key=f"{space}/{stat.key}", size=stat.size, modified=stat.modified, etag=stat.etag
            )

    def _url(self, key, expires):
        driver, rest = self._space(key)
        return driver.url(rest, expires)

    def _unwrap(self, key):
        driver, rest = self._space(key)
        return driver._unwrap(rest)

    def close(self):
        with self._lock:
            drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            driver.close()
