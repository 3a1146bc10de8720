# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Attachment objects stored on backends, as referenced by a database snapshot."""

import collections
import re
from concurrent.futures import ThreadPoolExecutor

from odoo.addons.storage_backend.storage_drivers import ObjectNotFound

# ``<backend code>://<key>``, as ir_attachment_object_store names remote files
REMOTE_FNAME = re.compile(r"^(?P<code>[a-z][a-z0-9_]{0,31})://(?P<key>.+)$")
PAGE = 1000
# objects up to this size are fetched ahead by a few threads (many small
# requests are latency-bound); larger ones are streamed when their turn comes
PREFETCH_SIZE = 1024 * 1024
PREFETCH_WORKERS = 4


def remote_objects(cr):
    """``(code, key, size)`` of every remote object the snapshot references,
    a page at a time."""
    last = ""
    while True:
        cr.execute(
            """
            SELECT store_fname, max(file_size)
              FROM ir_attachment
             WHERE store_fname > %s AND position('://' in store_fname) > 0
             GROUP BY store_fname
             ORDER BY store_fname
             LIMIT %s
            """,
            [last, PAGE],
        )
        rows = cr.fetchall()
        for fname, size in rows:
            match = REMOTE_FNAME.match(fname)
            if match:
                yield match["code"], match["key"], size or 0
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


class ObjectReader:
    """Reads objects from their backends: ``drivers`` maps a backend code to
    the drivers to try in turn (this database's space, then the original's
    while a copied database's objects are being copied)."""

    def __init__(self, drivers):
        self.drivers = drivers

    def _first(self, code, key, operation):
        for driver in self.drivers.get(code, ()):
            try:
                return operation(driver, key)
            except ObjectNotFound:
                continue
        return None  # missing everywhere, or on a backend that no longer exists

    def get(self, code, key):
        return self._first(code, key, lambda driver, key: driver.get(key))

    def open(self, code, key):
        return self._first(code, key, lambda driver, key: driver.open(key))

    def iter_contents(self, objects):
        """``(name, content)`` in the order of ``objects``: bytes for small
        objects (fetched ahead), a stream for large ones, None when missing.
        A backend that is unavailable raises: a backup never skips silently."""
        window = collections.deque()
        with ThreadPoolExecutor(PREFETCH_WORKERS, thread_name_prefix="backup-fetch") as pool:
            for code, key, size in objects:
                future = pool.submit(self.get, code, key) if size <= PREFETCH_SIZE else None
                window.append((code, key, future))
                if len(window) > 2 * PREFETCH_WORKERS:
                    yield self._resolve(*window.popleft())
            while window:
                yield self._resolve(*window.popleft())

    def _resolve(self, code, key, future):
        content = future.result() if future is not None else self.open(code, key)
        return f"{code}/{key}", content
