# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Attachments on storage backends.

``ir_attachment.location`` may name a ``storage.backend`` by its code. New
binary attachments then go to that backend and their ``store_fname`` is
``<code>://<key>`` (content-addressed like the filestore). Reads route by
``store_fname``, so changing the location never breaks existing files.

Safety rules, in the spirit of core's filestore:

- objects are never deleted inside the request transaction: names are put on
  a checklist that survives rollbacks, and the garbage collector deletes an
  object only when no attachment references it;
- a writer holds a shared advisory lock on each object it stores until its
  transaction ends; the collector takes the exclusive lock before checking
  references, so it can never delete an object a writer is about to use.
"""

import contextlib
import io
import json
import logging
import os
import time

import psycopg2

from odoo import _, api, models, tools
from odoo.exceptions import AccessError, UserError

from odoo.addons.storage_backend.storage_drivers import (
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)

from ..tools.checklist import ObjectChecklist
from ..tools.detection import SourceDetection
from ..tools.migration import AttachmentMigration
from ..tools.object_keys import (
    FLAT_NAME,
    content_key,
    local_candidates,
    lock_id,
    remote_fname,
    split_fname,
)
from ..tools.parameters import (
    COPY_SOURCE_PARAM,
    DETECTED_TYPES_PARAM,
    KEEP_IN_DB_PARAM,
    OWNER_PARAM,
)
from ..tools.upload_batch import UploadBatch, upload_pool

_logger = logging.getLogger(__name__)

# mimetype prefix -> largest size kept in the database (0: any size)
DEFAULT_KEEP_IN_DB = {
    "text/css": 0,
    "application/javascript": 0,
    "text/javascript": 0,
    "image/": 51200,
}
FOREIGN = object()  # marks another addon's backend in the collector
FALLBACK_LOG_INTERVAL = 600  # seconds between two "served from disk" warnings
_fallback_logged = {}


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def init(self):
        res = super().init()
        ObjectChecklist.create_table(self.env.cr)
        return res

    def _register_hook(self):
        res = super()._register_hook()
        self._object_store_check_copied_database()
        self._object_store_detect_on_change()
        return res

    def _object_store_detect_on_change(self):
        """Look for other addons' files when this addon (or a backend type) is installed.

        Installing storage_backend_s3 after this addon makes camptocamp's or
        fs_attachment's S3 files readable: the detection runs again then.
        """
        field = self.env["storage.backend"]._fields["backend_type"]
        types = ",".join(sorted(dict(field._description_selection(self.env))))
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(DETECTED_TYPES_PARAM) == types:
            return
        try:
            with self.env.cr.savepoint():
                self._object_store_detect_sources()
                params.set_param(DETECTED_TYPES_PARAM, types)
        except Exception:  # the server must start; the detection can be run again
            _logger.exception("The detection of other addons' files failed")

    @api.model
    def _object_store_detect_sources(self):
        """Read the files of other object-storage addons where they are; the report."""
        return SourceDetection(self.env).run()

    def _object_store_check_copied_database(self):
        """Notice that this database is a copy (duplicate, restore) of another.

        Its rows still name objects in the original's space: schedule a copy
        of them into this database's own space, and read from the original
        meanwhile. Runs when the registry loads, so it catches copies made by
        the database manager, ``odoo-bin db`` or any other tool.
        """
        params = self.env["ir.config_parameter"].sudo()
        dbname = self.env.cr.dbname
        if params.get_param(OWNER_PARAM) == dbname:
            return
        # one process decides, even when several load the registry at once
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id(OWNER_PARAM)])
        self.env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [OWNER_PARAM])
        owner = (self.env.cr.fetchone() or [None])[0]
        if owner == dbname:
            return
        self.env.cr.execute(
            "SELECT 1 FROM ir_attachment WHERE position('://' in store_fname) > 0 LIMIT 1"
        )
        if owner and self.env.cr.fetchone():
            _logger.warning(
                "Database %s is a copy of %s: its attachment files are being copied into "
                "its own space; until then they are read from %s's.",
                dbname,
                owner,
                owner,
            )
            params.set_param(COPY_SOURCE_PARAM, owner)
            self.env["ir.attachment.migration"].create(
                {"kind": "copy", "source_dbname": owner, "state": "queued"}
            )._trigger_cron()
        params.set_param(OWNER_PARAM, dbname)

    @api.model
    def _object_store_claim_space(self):
        """Declare that this database's objects are in its own space (restored
        there, for instance): nothing is read or copied from another
        database's space any more."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(OWNER_PARAM, self.env.cr.dbname)
        params.set_param(COPY_SOURCE_PARAM, False)

    @api.model
    def _object_store_copy_source(self):
        """The database whose space this copy still reads its objects from
        until they are copied into its own, or False."""
        return self.env["ir.config_parameter"].sudo().get_param(COPY_SOURCE_PARAM) or False

    @api.model
    def _object_store_spaces_to_purge(self):
        """``[(label, driver)]`` of this database's spaces, to empty when it is dropped."""
        backends = (
            self.env["storage.backend"]
            .sudo()
            .with_context(active_test=False)
            .search([("keep_objects_on_drop", "=", False)], limit=100)
        )
        spaces = []
        for backend in backends:
            if backend._is_foreign_reader():  # another addon's files: never ours to delete
                continue
            with contextlib.suppress(StorageError, UserError):  # misconfigured: nothing to do
                spaces.append((backend.display_name, backend._attachment_driver()))
        return spaces

    @property
    def _object_store_checklist(self):
        return ObjectChecklist(self.env.cr.dbname)

    # -- where files go -----------------------------------------------------------

    @api.model
    def _storage(self):
        if self.env.context.get("object_store_force_db"):
            return "db"
        return super()._storage()

    @api.model
    def _object_store_backend(self, code=None):
        """The backend named ``code`` (default: the configured location), or an empty one."""
        code = code or self._storage()
        if code in ("file", "db"):
            return self.env["storage.backend"]
        return self.env["storage.backend"].sudo().browse(self._object_store_backend_id(code))

    @api.model
    @tools.ormcache("code")
    def _object_store_backend_id(self, code):
        backend = self.env["storage.backend"].sudo().with_context(active_test=False)
        return backend.search([("code", "=", code)], limit=1).id

    @api.model
    @tools.ormcache()
    def _object_store_flat_backend_id(self):
        """The backend holding Catalyst's flat ``<sha1>`` objects, if any."""
        backend = self.env["storage.backend"].sudo().with_context(active_test=False)
        return backend.search([("adopted_layout", "=", "catalyst")], limit=1).id

    @api.model
    def _object_store_location_backend(self):
        """The backend new files go to, or empty when the location is file or db."""
        location = self._storage()
        backend = self._object_store_backend(location)
        if location not in ("file", "db") and not backend:
            raise UserError(_("The attachment location %r names no storage backend.", location))
        if backend and backend._is_foreign_reader():
            raise UserError(
                _(
                    "The attachment location %r names a backend that only reads another "
                    "addon's files; choose a backend of this suite.",
                    location,
                )
            )
        return backend

    @api.model
    def _object_store_keep_in_db(self, size, mimetype):
        """Whether a file stays in the database although a backend is configured."""
        rules = self.env["ir.config_parameter"].sudo().get_param(KEEP_IN_DB_PARAM)
        rules = json.loads(rules) if rules else DEFAULT_KEEP_IN_DB
        for prefix, limit in rules.items():
            if (mimetype or "").startswith(prefix) and (not limit or size <= limit):
                return True
        return False

    def _get_datas_related_values(self, data, mimetype):
        if data and self._object_store_location_backend():
            context = (
                {"object_store_force_db": True}
                if self._object_store_keep_in_db(len(data), mimetype)
                else {"object_store_mimetype": mimetype}
            )
            self = self.with_context(**context)
        return super()._get_datas_related_values(data, mimetype)

    # -- writing ------------------------------------------------------------------

    @api.model
    def _file_write(self, bin_value, checksum):
        backend = self._object_store_location_backend()
        if not backend:
            return super()._file_write(bin_value, checksum)
        key = content_key(checksum)
        mimetype = self.env.context.get("object_store_mimetype")
        batch = self.env.context.get("object_store_batch")
        if batch is not None:
            batch.add_upload(backend, key, bin_value, mimetype)
        else:
            self._object_store_upload([(backend, key, bin_value, mimetype)])
        return remote_fname(backend.code, key)

    @api.model
    def _object_store_upload(self, uploads):
        """Store ``(backend, key, data, mimetype)`` objects, concurrently when several."""
        fnames = [remote_fname(backend.code, key) for backend, key, __, __ in uploads]
        self._object_store_lock(fnames)
        self._object_store_mark(fnames)
        # resolved here: the upload threads must not touch the ORM
        targets = {
            backend: (backend._attachment_driver(), backend.display_name)
            for backend in {upload[0] for upload in uploads}
        }
        jobs = [(targets[backend], key, data, mimetype) for backend, key, data, mimetype in uploads]

        def put(job):
            (driver, name), key, data, mimetype = job
            try:
                driver.put(key, data, content_type=mimetype, overwrite=False)
            except ObjectExists:
                return  # same content, already stored: attachments share objects
            except StorageError as error:
                raise UserError(
                    _(
                        "Could not store a file on storage backend %(backend)s: %(error)s",
                        backend=name,
                        error=error,
                    )
                ) from error

        if len(jobs) == 1:
            put(jobs[0])
        else:
            for __ in upload_pool().map(put, jobs):
                pass

    @api.model
    def _object_store_lock(self, fnames):
        """Keep the collector away from these objects until this transaction ends."""
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock_shared(id) FROM unnest(%s::bigint[]) AS id",
            [sorted(lock_id(fname) for fname in fnames)],
        )

    @api.model
    def _object_store_mark(self, fnames):
        """Put remote names on the checklist of the garbage collector."""
        self._object_store_checklist.add(fnames)

    @api.model
    def _file_delete(self, fname):
        code, __ = split_fname(fname)
        if not code:
            return super()._file_delete(fname)
        if self._object_store_is_foreign(code):
            return  # another addon's object: never deleted by this suite
        batch = self.env.context.get("object_store_batch")
        if batch is not None:
            batch.deleted.add(fname)
        else:
            self._object_store_mark([fname])

    def _object_store_flush(self, batch):
        if batch.uploads:
            self._object_store_upload(list(batch.uploads.values()))
        self._object_store_mark(batch.deleted)

    @api.model_create_multi
    def create(self, vals_list):
        batch = UploadBatch()
        # Uploads run after the rows are inserted, concurrently; if one fails,
        # the savepoint takes the rows back so nothing points to a missing object.
        with self.env.cr.savepoint():
            records = super(IrAttachment, self.with_context(object_store_batch=batch)).create(
                vals_list
            )
            self._object_store_flush(batch)
        return records.with_context(object_store_batch=None)

    def _set_attachment_data(self, asbytes):
        batch = UploadBatch()
        with self.env.cr.savepoint():
            result = super(
                IrAttachment, self.with_context(object_store_batch=batch)
            )._set_attachment_data(asbytes)
            self._object_store_flush(batch)
        return result

    def unlink(self):
        batch = UploadBatch()
        result = super(IrAttachment, self.with_context(object_store_batch=batch)).unlink()
        self._object_store_flush(batch)
        return result

    # -- reading ------------------------------------------------------------------

    @api.model
    def _file_read(self, fname):
        code, key = split_fname(fname)
        if code:
            return self._object_store_read(code, key)
        if not os.path.exists(self._full_path(fname)):
            for backend in self._object_store_plain_backends(fname):
                with contextlib.suppress(ObjectNotFound, StorageUnavailable):
                    return backend._attachment_driver().get(fname)
            for candidate in local_candidates(fname)[1:]:
                if os.path.isfile(self._full_path(candidate)):
                    return super()._file_read(candidate)
        return super()._file_read(fname)

    @api.model
    def _object_store_plain_backends(self, fname):
        """Backends that may hold a plain (filestore-like) name missing on disk.

        Catalyst's flat ``<sha1>`` names live on its backend; other plain names
        may have been stored on the current location by another addon.
        """
        backends = self.env["storage.backend"].sudo()
        if FLAT_NAME.match(fname or "") and self._object_store_flat_backend_id():
            backends |= backends.browse(self._object_store_flat_backend_id())
        location = self._storage()
        if location not in ("file", "db"):
            backends |= self._object_store_backend(location)
        return backends.filtered(lambda backend: not backend._is_foreign_reader())

    @api.model
    def _object_store_is_foreign(self, code):
        """Whether ``code://`` names are another addon's files read where they are."""
        backend = self._object_store_backend(code)
        return bool(backend) and backend._is_foreign_reader()

    @api.depends("store_fname", "db_datas")
    def _compute_raw(self):
        remote = self.filtered(lambda attachment: split_fname(attachment.store_fname)[0])
        if len(remote) < 2 or self.env.context.get("object_store_batch"):
            return super()._compute_raw()
        # several remote files (a prefetch): fetch them concurrently
        for attachment, data in zip(remote, remote._object_store_read_many(), strict=True):
            attachment.raw = data
        return super(IrAttachment, self - remote)._compute_raw()

    def _object_store_read_many(self):
        """Contents of these remote attachments, fetched concurrently."""
        locations = [split_fname(attachment.store_fname) for attachment in self]
        drivers = {}
        for code in {code for code, __ in locations}:
            backend = self._object_store_backend(code)
            drivers[code] = backend._attachment_driver() if backend else None

        def fetch(location):
            code, key = location
            if drivers[code] is None:
                return None
            try:
                return drivers[code].get(key)
            except (ObjectNotFound, StorageUnavailable):
                return None  # the fallbacks are for the main thread

        contents = list(upload_pool().map(fetch, locations))
        return [
            data if data is not None else self._object_store_read(code, key)
            for data, (code, key) in zip(contents, locations, strict=True)
        ]

    @api.model
    def _object_store_read(self, code, key):
        batch = self.env.context.get("object_store_batch")
        backend = self._object_store_backend(code)
        if batch is not None:
            pending = batch.pending_data(backend.id, key)
            if pending is not None:  # read back before the batch was flushed
                return pending
        with self._object_store_open(code, key) as stream:
            return stream.read()

    @api.model
    def _object_store_open(self, code, key):
        """A binary stream of object ``key`` on backend ``code``, or of its local copy.

        A missing object, or a backend that is down, is served from the local
        filestore when a copy is there. With no copy, a missing object reads
        as empty (as core does for a missing file); an unavailable backend
        raises, since an empty read could be written back and lose the file.
        """
        backend = self._object_store_backend(code)
        error = None
        if backend:
            copy_source = self._object_store_copy_source()
            if backend._is_foreign_reader():
                copy_source = None  # the same objects for every copy
            for dbname in [None, copy_source] if copy_source else [None]:
                try:
                    return backend._attachment_driver(dbname).open(key)
                except (ObjectNotFound, StorageUnavailable) as caught:
                    error = caught
        for candidate in local_candidates(key):
            local_path = self._full_path(candidate)
            if os.path.isfile(local_path):
                self._object_store_log_fallback(code, error or _("unknown backend"))
                return open(local_path, "rb")
        if isinstance(error, StorageUnavailable):
            raise UserError(
                _(
                    "Storage backend %(code)s is unavailable and %(key)s has no local copy: "
                    "%(error)s",
                    code=code,
                    key=key,
                    error=error,
                )
            ) from error
        _logger.info("_read_file: %s://%s is missing (%s)", code, key, error or "unknown backend")
        return io.BytesIO(b"")

    @api.model
    def _object_store_log_fallback(self, code, reason):
        """Warn that files are served from disk, once per backend and interval."""
        cache_key = (self.env.cr.dbname, code, type(reason).__name__)
        now = time.monotonic()
        if now - _fallback_logged.get(cache_key, -FALLBACK_LOG_INTERVAL) >= FALLBACK_LOG_INTERVAL:
            _fallback_logged[cache_key] = now
            _logger.warning(
                "Storage backend %s: serving files from the local filestore (%s); "
                "this is logged once every %d minutes",
                code,
                reason,
                FALLBACK_LOG_INTERVAL // 60,
            )

    def _object_store_stream_source(self):
        """``(code, key)`` to stream this attachment from, or None for core's way."""
        self.ensure_one()
        if not self.store_fname:
            return None
        code, key = split_fname(self.store_fname)
        if code:
            return code, key
        if not os.path.exists(self._full_path(self.store_fname)):
            backends = self._object_store_plain_backends(self.store_fname)
            if backends:
                return backends[0].code, self.store_fname
        return None

    # -- garbage collection -------------------------------------------------------

    @api.autovacuum
    def _gc_file_store(self):
        # core collects the local filestore only while the location is
        # "file"; local copies left behind by a migration need it too
        if self._object_store_location_backend():
            self.env.cr.commit()  # pylint: disable=invalid-commit
            # see core: the LOCK must be the first statement of its transaction
            self.env.cr.execute("SET LOCAL lock_timeout TO '10s'")
            try:
                self.env.cr.execute("LOCK ir_attachment IN SHARE MODE")
            except psycopg2.errors.LockNotAvailable:  # retried next time
                self.env.cr.rollback()
                return False
            self._gc_file_store_unsafe()
            self.env.cr.commit()  # pylint: disable=invalid-commit
            return True
        return super()._gc_file_store()

    def _gc_file_store_unsafe(self):
        self._object_store_keep_local_copies()
        return super()._gc_file_store_unsafe()

    def _object_store_keep_local_copies(self):
        """Take local fallback copies of referenced remote objects off core's checklist.

        A migration leaves each file in the filestore under the key its object
        has on the backend; such a copy is not garbage while an attachment
        references the object (it is removed on request, or with the object).
        """
        checklist = {}
        for dirpath, __, filenames in os.walk(self._full_path("checklist")):
            for filename in filenames:
                fname = f"{os.path.basename(dirpath)}/{filename}"
                checklist[fname] = os.path.join(dirpath, filename)
        self.env.cr.execute("SELECT code FROM storage_backend")
        codes = [row[0] for row in self.env.cr.fetchall()]
        if not checklist or not codes:
            return
        for names in self.env.cr.split_for_in_conditions(list(checklist)):
            self.env.cr.execute(
                "SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)",
                [[remote_fname(code, name) for code in codes for name in names]],
            )
            for (fname,) in self.env.cr.fetchall():
                with contextlib.suppress(OSError):
                    os.unlink(checklist[split_fname(fname)[1]])

    @api.model
    def force_storage(self):
        backend = self._object_store_location_backend()
        if not backend:
            return super().force_storage()
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can execute this action."))
        AttachmentMigration(self.env, backend.code).run()
        return True

    @api.autovacuum
    def _gc_object_store(self, batch_size=1000):
        """Delete remote objects that no attachment references any more."""
        cr = self.env.cr
        while True:
            # Each batch is a transaction of its own, in READ COMMITTED: the
            # references are read after the advisory locks are taken, so rows
            # committed by writers that held them are seen (see module doc).
            cr.commit()  # pylint: disable=invalid-commit
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            checked, removed = self._gc_object_store_unsafe(batch_size)
            cr.commit()  # pylint: disable=invalid-commit
            if checked < batch_size:
                return True

    def _gc_object_store_unsafe(self, batch_size=1000):
        """One batch of the collector in the current transaction; ``(checked, removed)``."""
        cr = self.env.cr
        checklist = self._object_store_checklist
        fnames = checklist.fetch(batch_size)
        if not fnames:
            return 0, 0
        # objects a writer is storing right now are left for a later run
        cr.execute(
            """
            SELECT fname FROM unnest(%s::varchar[], %s::bigint[]) AS t(fname, lock_id)
            WHERE pg_try_advisory_xact_lock(lock_id)
            """,
            [fnames, [lock_id(fname) for fname in fnames]],
        )
        free = [row[0] for row in cr.fetchall()]
        cr.execute("SELECT store_fname FROM ir_attachment WHERE store_fname = ANY(%s)", [free])
        referenced = {row[0] for row in cr.fetchall()}
        deleted = self._object_store_delete_objects(
            [fname for fname in free if fname not in referenced]
        )
        for fname in deleted:  # a local fallback copy goes with its object
            key = split_fname(fname)[1]
            if os.path.exists(self._full_path(key)):
                self._mark_for_gc(key)
        done = referenced | set(deleted)
        checklist.remove(done)
        _logger.info(
            "object store gc: %d checked, %d removed, %d kept for later",
            len(fnames),
            len(deleted),
            len(fnames) - len(done),
        )
        return len(fnames), len(deleted)

    @api.model
    def _object_store_delete_objects(self, fnames):
        """Delete objects concurrently; return the names actually dealt with."""
        drivers = {}
        for code in {split_fname(fname)[0] for fname in fnames}:
            backend = self._object_store_backend(code).exists()
            if backend and backend._is_foreign_reader():
                drivers[code] = FOREIGN  # another addon's objects are never deleted
            else:
                drivers[code] = backend._attachment_driver() if backend else None

        def delete(fname):
            code, key = split_fname(fname)
            if drivers[code] is FOREIGN:
                return fname
            if drivers[code] is None:
                _logger.warning("object store gc: no backend %s for %s, forgotten", code, fname)
                return fname
            try:
                drivers[code].delete(key)
            except StorageError as error:
                _logger.warning("object store gc: cannot delete %s yet: %s", fname, error)
                return None
            return fname

        return [fname for fname in upload_pool().map(delete, fnames) if fname]
