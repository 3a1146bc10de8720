# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Give a copied database (duplicate, restore) its own copy of its objects.

A copy starts with rows naming objects that live in the source database's
space. They are copied, server-side where the backend can, into the copy's
own space, so the two databases never share (nor garbage-collect) objects.
Until the copy is done, reads fall back to the source's space; nothing is
ever written or deleted there.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from odoo.addons.storage_backend.storage_drivers import ObjectNotFound, StorageError

from .object_keys import remote_fname
from .progress import Progress

_logger = logging.getLogger(__name__)


class DatabaseCopy:
    def __init__(
        self,
        env,
        source_dbname,
        *,
        workers=8,
        batch_size=500,
        report=None,
        should_stop=None,
        position=None,
    ):
        self.env = env
        self.attachments = env["ir.attachment"].sudo()
        self.source_dbname = source_dbname
        self.workers = max(1, int(workers))
        self.batch_size = batch_size
        self.report = report or (lambda progress: None)
        self.should_stop = should_stop or (lambda: False)
        self.progress = Progress()
        # {backend code: last key copied}, to resume where a previous run stopped
        self.position = dict(position or {})

    def _codes(self):
        """Codes of the backends to copy from; another addon's files are read
        where they are by every copy, as before."""
        self.env.cr.execute(
            """
            SELECT DISTINCT split_part(store_fname, '://', 1) FROM ir_attachment
            WHERE position('://' in store_fname) > 0
            """
        )
        codes = [row[0] for row in self.env.cr.fetchall()]
        return [code for code in codes if not self.attachments._object_store_is_foreign(code)]

    def _keys(self, code, after):
        prefix = f"{code}://"
        self.env.cr.execute(
            """
            SELECT substr(store_fname, %s) AS key, max(file_size)
            FROM ir_attachment WHERE left(store_fname, %s) = %s AND substr(store_fname, %s) > %s
            GROUP BY key ORDER BY key LIMIT %s
            """,
            [len(prefix) + 1, len(prefix), prefix, len(prefix) + 1, after, self.batch_size],
        )
        return self.env.cr.fetchall()

    def run(self):
        progress = self.progress
        codes = self._codes()
        self.env.cr.execute(
            """
            SELECT count(*), coalesce(sum(size), 0) FROM (
                SELECT max(file_size) AS size FROM ir_attachment
                WHERE position('://' in store_fname) > 0
                  AND split_part(store_fname, '://', 1) = ANY(%s)
                GROUP BY store_fname
            ) AS objects
            """,
            [codes],
        )
        progress.total_count, progress.total_bytes = self.env.cr.fetchone()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="attachment-copy") as pool:
            for code in codes:
                backend = self.attachments._object_store_backend(code)
                if not backend:
                    _logger.warning("database copy: no backend %s; its files stay missing", code)
                    continue
                source = backend._attachment_driver(self.source_dbname)
                target = backend._attachment_driver()
                while not self.should_stop():
                    rows = self._keys(code, self.position.get(code, ""))
                    if not rows:
                        break
                    for key, size, error in pool.map(
                        lambda row, s=source, t=target: self._copy(s, t, *row), rows
                    ):
                        if error:
                            progress.add_failed(f"{remote_fname(code, key)}: {error}")
                        else:
                            progress.add_done(size)
                    self.position[code] = rows[-1][0]
                    self.report(progress)
                if self.should_stop():
                    return progress
        progress.complete = True
        return progress

    @staticmethod
    def _copy(source, target, key, size):
        try:
            if not target.exists(key):
                source.copy_to(target, key)
        except ObjectNotFound:
            return key, size, "missing in the source database's space"
        except StorageError as error:
            return key, size, str(error)
        return key, size, None
