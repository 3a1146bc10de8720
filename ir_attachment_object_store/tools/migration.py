# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Move attachment files between the database, the filestore and backends.

Batches of attachments are read in id order. Each batch's files are copied
concurrently to their destination, each copy verified (the size and sha1 of
the bytes sent against the attachment's; an object found already stored by
its size; everything read back with ``verify_read``), then the rows are
switched in one UPDATE and committed. Old copies are released only after
that commit: remote ones go to the garbage collector, local ones are deleted
on request. Interrupting at any point loses nothing; running again resumes,
since rows already switched are skipped and stored objects are reused.
"""

import contextlib
import io
import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from psycopg2.extras import execute_values

from odoo import _
from odoo.exceptions import UserError

from odoo.addons.storage_backend.storage_drivers import (
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)
from odoo.addons.storage_backend.storage_drivers.streams import copy_stream

from .hashing import HashingReader
from .object_keys import content_key, remote_fname, split_fname
from .parameters import COPY_SOURCE_PARAM
from .progress import Progress

_logger = logging.getLogger(__name__)


@dataclass
class Item:
    id: int
    old_fname: str | None
    checksum: str
    size: int
    mimetype: str
    destination: str = None  # a backend code, "file" or "db"
    new_fname: str | None = None
    data: bytes | None = None  # content read for the "db" destination
    error: str | None = None


class MigrationStopped(Exception):
    """The migration stopped early; running it again resumes."""


class AttachmentMigration:
    def __init__(
        self,
        env,
        target,
        *,
        workers=8,
        batch_size=200,
        dry_run=False,
        remove_local=False,
        verify_read=False,
        commit=None,
        report=None,
        should_stop=None,
        ids=None,
    ):
        self.env = env
        self.attachments = env["ir.attachment"].sudo()
        if target not in ("file", "db"):
            backend = self.attachments._object_store_backend(target)
            if not backend:
                raise UserError(_("No storage backend with code %r.", target))
            if backend._is_foreign_reader():
                raise UserError(
                    _("Backend %r only reads another addon's files: move files elsewhere.", target)
                )
        self.target = target
        self.workers = max(1, int(workers))
        self.batch_size = max(1, int(batch_size))
        self.dry_run = dry_run
        self.remove_local = remove_local
        self.verify_read = verify_read
        self.commit = commit or env.cr.commit
        self.report = report or (lambda progress: None)
        self.should_stop = should_stop or (lambda: False)
        self.ids = list(ids) if ids is not None else None
        self.progress = Progress()
        self._drivers = {}

    # -- selection ---------------------------------------------------------------

    def _pending_condition(self):
        """SQL condition (and params) of rows not yet where the target puts them."""
        if self.target == "db":
            return "store_fname IS NOT NULL", []
        if self.target == "file":
            return "(store_fname IS NULL OR position('://' in store_fname) > 0)", []
        prefix = f"{self.target}://"
        return "(store_fname IS NULL OR left(store_fname, %s) != %s)", [len(prefix), prefix]

    def _select(self, columns, extra="", params=()):
        condition, condition_params = self._pending_condition()
        if self.ids is not None:
            condition += " AND id = ANY(%s)"
            condition_params.append(self.ids)
        self.env.cr.execute(
            f"""
            SELECT {columns} FROM ir_attachment
            WHERE type = 'binary' AND file_size > 0
              AND (store_fname IS NOT NULL OR db_datas IS NOT NULL)
              AND {condition} {extra}
            """,
            [*condition_params, *params],
        )
        return self.env.cr.fetchall()

    def _next_batch(self, after_id):
        rows = self._select(
            "id, store_fname, checksum, file_size, mimetype",
            "AND id > %s ORDER BY id LIMIT %s",
            [after_id, self.batch_size],
        )
        return [Item(*row) for row in rows]

    def _destination(self, item):
        if self.target in ("file", "db"):
            return self.target
        keep = self.attachments._object_store_keep_in_db(item.size, item.mimetype)
        return "db" if keep else self.target

    # -- run -----------------------------------------------------------------------

    def run(self):
        """Migrate everything pending; return the :class:`Progress`."""
        progress = self.progress
        progress.total_count, progress.total_bytes = self._select(
            "count(*), coalesce(sum(file_size), 0)"
        )[0]
        _logger.info(
            "attachment migration to %s: %s pending%s",
            self.target,
            progress.summary(),
            " (dry run)" if self.dry_run else "",
        )
        after_id = 0
        failed_batches = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="attachment-migration") as pool:
            while not self.should_stop():
                batch = self._next_batch(after_id)
                if not batch:
                    progress.complete = True
                    break
                after_id = batch[-1].id
                items = self._plan(batch)
                if self.dry_run:
                    for item in items:
                        progress.add_done(item.size)
                else:
                    self._transfer(items, pool)
                    self._switch(items)
                    self._release(items)
                    failed = [item for item in items if item.error]
                    failed_batches = (
                        failed_batches + 1 if failed and len(failed) == len(items) else 0
                    )
                self.report(progress)
                if failed_batches >= 2:
                    raise MigrationStopped(
                        _(
                            "Stopped after two batches in which every file failed; the last "
                            "error: %s. Run the migration again to resume.",
                            progress.errors[-1],
                        )
                    )
        _logger.info("attachment migration to %s finished: %s", self.target, progress.summary())
        return progress

    def _plan(self, batch):
        items = []
        for item in batch:
            item.destination = self._destination(item)
            current = "db" if not item.old_fname else (split_fname(item.old_fname)[0] or "file")
            if current == item.destination:
                self.progress.skipped_count += 1
                self.progress.total_count -= 1
                self.progress.total_bytes -= item.size
                continue
            key = content_key(item.checksum)
            if item.destination == "file":
                item.new_fname = key
            elif item.destination != "db":
                item.new_fname = remote_fname(item.destination, key)
            items.append(item)
        return items

    # -- transfers -------------------------------------------------------------

    def _driver(self, code, dbname=None):
        """The driver of ``code`` in this database's space (or ``dbname``'s)."""
        if (code, dbname) not in self._drivers:
            backend = self.attachments._object_store_backend(code)
            self._drivers[code, dbname] = backend._attachment_driver(dbname) if backend else None
        return self._drivers[code, dbname]

    def _sources(self, code):
        """Drivers that may hold ``code``'s objects: this database's space, then
        the original's while a copied database's objects are being copied."""
        copy_source = self.env["ir.config_parameter"].sudo().get_param(COPY_SOURCE_PARAM)
        drivers = [self._driver(code)] + ([self._driver(code, copy_source)] if copy_source else [])
        return [driver for driver in drivers if driver is not None]

    def _opener(self, item):
        """A callable opening the current content of ``item``; built in this thread."""
        if not item.old_fname:
            self.env.cr.execute("SELECT db_datas FROM ir_attachment WHERE id = %s", [item.id])
            data = bytes(self.env.cr.fetchone()[0] or b"")
            return lambda: io.BytesIO(data)
        code, key = split_fname(item.old_fname)
        local_path = self.attachments._full_path(key)
        if not code:  # the filestore first, then the current backend
            location = self.attachments._object_store_location_backend()
            sources = self._sources(location.code) if location else []
            return lambda: _open_first(key, before=local_path, drivers=sources)
        sources = self._sources(code)
        return lambda: _open_first(key, drivers=sources, after=local_path)

    def _transfer(self, items, pool):
        remote = [item.new_fname for item in items if item.destination not in ("file", "db")]
        # Keep the collector away from these objects until the switch commits,
        # and put them on its checklist in case this batch never commits.
        self.attachments._object_store_lock(remote)
        self.attachments._object_store_mark(remote)
        for item in items:
            if item.destination == "file":
                self.attachments._mark_for_gc(item.new_fname)
        slots = threading.BoundedSemaphore(self.workers * 2)
        futures = []
        for item in items:
            slots.acquire()  # bounds the memory of database contents read ahead
            job = self._job(item)
            future = pool.submit(job)
            future.add_done_callback(lambda __: slots.release())
            futures.append((item, future))
        for item, future in futures:
            try:
                future.result()
            except (StorageError, OSError, ValueError) as error:
                item.error = f"attachment {item.id}: {error}"

    def _job(self, item):
        """The work of one file, runnable in a worker (no ORM inside)."""
        opener = self._opener(item)
        key = content_key(item.checksum)
        if item.destination == "db":
            return lambda: self._read_all(item, opener)
        if item.destination == "file":
            path = self.attachments._full_path(key)
            return lambda: self._copy_to_file(item, opener, path)
        driver = self._driver(item.destination)
        return lambda: self._copy_to_driver(item, opener, driver, key)

    def _read_all(self, item, opener):
        with opener() as stream:
            reader = HashingReader(stream)
            item.data = reader.read()
        self._verify_sent(item, reader)

    def _copy_to_driver(self, item, opener, driver, key):
        created = False
        with opener() as stream:
            reader = HashingReader(stream)
            # an existing object was stored before: same content, or an interrupted run
            with contextlib.suppress(ObjectExists):
                driver.put(key, reader, content_type=item.mimetype, overwrite=False)
                created = True
        try:
            if created:
                # what was sent is what the attachment describes; the upload
                # itself is atomic and checksummed by the driver and server
                self._verify_sent(item, reader)
            else:  # an object from before: at least its size must match
                stored = driver.stat(key).size
                if stored != item.size:
                    raise ValueError(f"stored {stored} bytes instead of {item.size}")
            if self.verify_read:
                with driver.open(key) as check:
                    self._verify_sent(item, _drain(HashingReader(check)))
        except ValueError:
            if created:
                driver.delete(key)
            raise

    def _copy_to_file(self, item, opener, path):
        if os.path.isfile(path) and os.path.getsize(path) == item.size:
            return  # the filestore has it already
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{uuid.uuid4().hex}.part"
        try:
            with opener() as stream, open(temp, "wb") as target:
                reader = HashingReader(stream)
                copy_stream(reader, target)
            self._verify_sent(item, reader)
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temp)

    @staticmethod
    def _verify_sent(item, reader):
        if reader.count != item.size:
            raise ValueError(f"read {reader.count} bytes, expected {item.size}")
        if reader.checksum != item.checksum:
            raise ValueError("the content does not match the attachment's checksum")

    # -- switching -------------------------------------------------------------

    def _switch(self, items):
        done = [item for item in items if not item.error]
        for item in items:
            if item.error:
                self.progress.add_failed(item.error)
                _logger.warning("attachment migration: %s", item.error)
        cr = self.env.cr
        moved = set()
        to_db = [item for item in done if item.destination == "db"]
        elsewhere = [item for item in done if item.destination != "db"]
        # the guards skip rows whose content changed while their file moved
        if elsewhere:
            rows = execute_values(
                cr,
                """
                UPDATE ir_attachment AS a SET store_fname = v.new_fname, db_datas = NULL
                FROM (VALUES %s) AS v(id, old_fname, new_fname, checksum)
                WHERE a.id = v.id AND a.checksum = v.checksum
                  AND a.store_fname IS NOT DISTINCT FROM v.old_fname
                RETURNING a.id
                """,
                [(i.id, i.old_fname, i.new_fname, i.checksum) for i in elsewhere],
                template="(%s, %s::varchar, %s::varchar, %s::varchar)",
                fetch=True,
            )
            moved.update(row[0] for row in rows)
        for item in to_db:
            cr.execute(
                """
                UPDATE ir_attachment SET store_fname = NULL, db_datas = %s
                WHERE id = %s AND checksum = %s AND store_fname IS NOT DISTINCT FROM %s
                RETURNING id
                """,
                [item.data, item.id, item.checksum, item.old_fname],
            )
            moved.update(row[0] for row in cr.fetchall())
            item.data = None
        self.commit()
        self.attachments.invalidate_model(["store_fname", "db_datas", "raw", "datas"])
        for item in done:
            if item.id in moved:
                self.progress.add_done(item.size)
            else:
                item.error = "changed during the migration; left as it is"
                self.progress.skipped_count += 1

    def _release(self, items):
        """Let go of the old copies of switched rows (after the commit)."""
        moved = [item for item in items if not item.error and item.old_fname]
        self.attachments._object_store_mark(
            [item.old_fname for item in moved if split_fname(item.old_fname)[0]]
        )
        if not self.remove_local:
            return
        local = {item.old_fname for item in moved if not split_fname(item.old_fname)[0]}
        if not local:
            return
        self.env.cr.execute(
            "SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)", [list(local)]
        )
        still_used = {row[0] for row in self.env.cr.fetchall()}
        for fname in local - still_used:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.attachments._full_path(fname))


def _open_first(key, *, before=None, drivers=(), after=None):
    """Open ``key`` from the first place that has it: a local file, the
    drivers in turn, another local file."""
    if before and os.path.isfile(before):
        return open(before, "rb")
    error = None
    for driver in drivers:
        try:
            return driver.open(key)
        except (ObjectNotFound, StorageUnavailable) as caught:
            error = caught
    if after and os.path.isfile(after):
        return open(after, "rb")
    raise error or ObjectNotFound(f"no copy of {key} anywhere")


def _drain(reader, chunk=1024 * 1024):
    while reader.read(chunk):
        pass
    return reader
