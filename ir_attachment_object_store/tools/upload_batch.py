# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Collect the objects of one create() or write() and send them together."""

import threading
from concurrent.futures import ThreadPoolExecutor

from odoo.tools import config

_pool = None
_pool_lock = threading.Lock()


def upload_pool():
    """Threads shared by the process; they only move bytes, never touch the ORM."""
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(config.get("object_store_upload_workers") or 8)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="object-store-upload")
    return _pool


class UploadBatch:
    """Objects to upload and names to mark, flushed at the end of an operation.

    ``uploads`` maps ``(backend id, key)`` to ``(backend, key, data, mimetype)``;
    identical content added twice is sent once.
    """

    def __init__(self):
        self.uploads = {}
        self.deleted = set()

    def add_upload(self, backend, key, data, mimetype):
        self.uploads.setdefault((backend.id, key), (backend, key, data, mimetype))

    def pending_data(self, backend_id, key):
        upload = self.uploads.get((backend_id, key))
        return upload[2] if upload else None
