# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import binascii
import logging
import mimetypes
import re
import unicodedata
from collections import defaultdict

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import human_size, mute_logger
from odoo.tools.mimetypes import guess_mimetype, neuter_mimetype

from odoo.addons.storage_backend.storage_drivers import ObjectExists, ObjectNotFound

from ..content import Content

_logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 255
SLUG_STEM_MAX_LENGTH = 80  # keeps readable keys far below filesystems' 255 bytes
GC_BATCH_SIZE = 500
GC_MAX_BATCHES = 20
GC_LOCK_TIMEOUT = "10s"  # the collector waits that long for writers, then gives up
EXTENSION = re.compile(r"\.[a-z0-9]{1,16}")
SLUG = re.compile(r"[a-z0-9-]*-(?P<id>[0-9]+)(\.[a-z0-9]{1,16})?")
# They describe the stored object: only storing content writes them.
CONTENT_FIELDS = {"relative_path", "checksum", "file_size", "mimetype", "content_addressed"}
PROTECTED_FIELDS = CONTENT_FIELDS | {"to_delete"}
_STORING = "storage_file_storing"  # context key of the metadata write
_COLLECTING = "storage_file_collecting"  # context key of the collector's real unlink


def is_record_id(value):
    """Whether ``value`` can be a record id (PostgreSQL refuses larger integers)."""
    return isinstance(value, int) and 0 < value < 2**31


class BigInteger(fields.Integer):
    """A 64-bit integer column: files may be larger than 2 GiB."""

    column_type = ("int8", "int8")


def slugify(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:SLUG_STEM_MAX_LENGTH].strip("-")


def split_name(name):
    """``(stem, extension)`` safe for URLs and keys: ``("my-report", ".pdf")``."""
    stem, dot, extension = (name or "").rpartition(".")
    extension = f".{extension.lower()}"
    if not dot or not stem or not EXTENSION.fullmatch(extension):
        stem, extension = name or "", ""
    return slugify(stem) or "file", extension


class StorageFile(models.Model):
    _name = "storage.file"
    _description = "Storage File"
    _order = "id desc"

    name = fields.Char(required=True, index="trigram")
    backend_id = fields.Many2one(
        "storage.backend",
        string="Storage backend",
        required=True,
        index=True,
        ondelete="restrict",
        default=lambda self: self._default_backend_id(),
    )
    data = fields.Binary(
        compute="_compute_data",
        readonly=False,
        store=False,
        help="The content, read from and written to the backend (never stored in "
        "the database). Python code may also write a binary file object here.",
    )
    relative_path = fields.Char(
        string="Object key", readonly=True, copy=False, help="Key of the object on the backend."
    )
    file_size = BigInteger(readonly=True, copy=False, help="Size in bytes.")
    human_file_size = fields.Char(string="Size", compute="_compute_human_file_size")
    mimetype = fields.Char(readonly=True, copy=False)
    checksum = fields.Char(string="SHA-256", readonly=True, copy=False, index=True)
    content_addressed = fields.Boolean(
        readonly=True,
        copy=False,
        help="Stored under its content hash: files with the same content on the "
        "same backend share one object.",
    )
    slug = fields.Char(
        compute="_compute_slug",
        store=True,
        help="Name of the file in its Odoo URL: <name>-<id>.<extension>.",
    )
    url = fields.Char(
        string="URL",
        compute="_compute_urls",
        help="Where browsers get the file: the storage itself for public backends, "
        "else Odoo, which checks the reader's access rights.",
    )
    internal_url = fields.Char(
        string="Odoo URL", compute="_compute_urls", help="The Odoo URL, without host."
    )
    res_model = fields.Char(string="Linked model", index=True)
    res_id = fields.Many2oneReference(string="Linked record", model_field="res_model", index=True)
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True, ondelete="restrict"
    )
    active = fields.Boolean(default=True)
    to_delete = fields.Boolean(
        readonly=True, copy=False, help="Deleted: the object goes at the next cleanup."
    )

    def init(self):
        # Only files that own their object need a unique key; files stored
        # under their content hash share theirs.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS storage_file_owned_path_uniq
                ON storage_file (backend_id, relative_path)
             WHERE content_addressed IS NOT TRUE;
            CREATE INDEX IF NOT EXISTS storage_file_backend_path_idx
                ON storage_file (backend_id, relative_path);
            CREATE INDEX IF NOT EXISTS storage_file_to_delete_idx
                ON storage_file (id) WHERE to_delete;
            """
        )

    @api.model
    def _default_backend_id(self):
        """The backend of system parameter ``storage_file.backend``, else local disk."""
        code = self.env["ir.config_parameter"].sudo().get_param("storage_file.backend")
        if code:
            return self.env["storage.backend"].sudo().search([("code", "=", code)], limit=1).id
        default = self.env.ref("storage_backend.default_backend", raise_if_not_found=False)
        return default.id if default else False

    # -- computes ------------------------------------------------------------------

    @api.depends("file_size")
    def _compute_human_file_size(self):
        for record in self:
            record.human_file_size = human_size(record.file_size) if record.file_size else False

    @api.depends("name")
    def _compute_slug(self):
        for record in self:
            file_id = record._origin.id
            if file_id:
                stem, extension = split_name(record.name)
                record.slug = f"{stem}-{file_id}{extension}"
            else:
                record.slug = False

    @api.depends("relative_path")
    @api.depends_context("bin_size")
    def _compute_data(self):
        for record in self:
            if not record.relative_path:
                record.data = False
            elif self.env.context.get("bin_size"):
                record.data = human_size(record.file_size)
            else:
                backend = record.backend_id.sudo()
                with backend._storage_errors():
                    record.data = base64.b64encode(backend._file_driver().get(record.relative_path))

    @api.depends("slug", "relative_path", "backend_id")
    def _compute_urls(self):
        public = {}
        for record in self:
            record.internal_url = f"/storage.file/{record.slug}" if record.slug else False
            backend = record.backend_id.sudo()
            if backend not in public:
                public[backend] = bool(backend) and backend._effective_values()["is_public"]
            direct = public[backend] and record._direct_url()
            record.url = direct or (
                record.internal_url and record.get_base_url() + record.internal_url
            )

    def _direct_url(self):
        """The storage's own URL of a public file, or None."""
        self.ensure_one()
        if not self.relative_path:
            return None
        try:
            return self.backend_id.sudo()._file_public_url(self.relative_path)
        except UserError as error:
            _logger.warning("No direct URL for storage file %s: %s", self.id, error)
            return None

    def _is_public(self):
        self.ensure_one()
        return self.backend_id.sudo()._effective_values()["is_public"]

    # -- validation ------------------------------------------------------------------

    @api.model
    def _check_name(self, name):
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(_("A storage file needs a name."))
        if len(name) > NAME_MAX_LENGTH:
            raise ValidationError(
                _(
                    "File name %(name)s... is too long: %(length)s characters, at most %(max)s.",
                    name=name[:40],
                    length=len(name),
                    max=NAME_MAX_LENGTH,
                )
            )
        if "/" in name or "\\" in name:
            raise ValidationError(
                _("File name %r contains a path separator (/ or \\): give a plain name.", name)
            )
        if any(ord(char) < 32 or ord(char) == 127 for char in name):
            raise ValidationError(_("File name %r contains control characters.", name))

    @api.model
    def _check_backend_id(self, backend_id):
        Backend = self.env["storage.backend"].sudo()
        if not is_record_id(backend_id) or not Backend.browse(backend_id).exists():
            raise ValidationError(_("Unknown storage backend: %r.", backend_id))

    @api.model
    def _check_protected_fields(self, vals):
        protected = PROTECTED_FIELDS & set(vals)
        # a context key alone could come from any RPC call: the ORM writes as superuser
        if protected and not (self.env.su and self.env.context.get(_STORING)):
            raise UserError(
                _(
                    "%s describe the stored content and cannot be written: write the "
                    "file's data instead.",
                    ", ".join(sorted(protected)),
                )
            )

    @api.model
    def _make_content(self, data):
        """A measured :class:`Content` from base64 (str or bytes) or a binary file object."""
        if hasattr(data, "read"):
            content = Content(data)
        else:
            try:
                raw = base64.b64decode(data or b"", validate=True)
            except (binascii.Error, ValueError, TypeError) as error:
                raise ValidationError(
                    _("The data of a storage file must be base64 or a binary file object.")
                ) from error
            content = Content(raw)
        if not content.size:
            content.close()
            raise ValidationError(_("The file is empty: empty files are not stored."))
        return content

    # -- CRUD ------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        sources = []
        for vals in vals_list:
            self._check_protected_fields(vals)
            self._check_name(vals.get("name"))
            vals.setdefault("backend_id", self._default_backend_id())
            self._check_backend_id(vals["backend_id"])
            sources.append(vals.pop("data", None))
        contents = []
        try:
            for source in sources:
                contents.append(self._make_content(source))
            records = super().create(vals_list)
            for record, content in zip(records, contents, strict=True):
                record._store_content(content)
        finally:
            for content in contents:
                content.close()
        return records

    @api.model
    def _create_from_stream(self, stream, vals):
        """Create a file whose content is read from ``stream`` in bounded memory."""
        return self.create([dict(vals, data=stream)])

    def write(self, vals):
        self._check_protected_fields(vals)
        if "name" in vals:
            self._check_name(vals["name"])
        if vals.get("active") and any(self.mapped("to_delete")):
            raise UserError(_("A deleted file cannot be restored: store it again."))
        if "backend_id" in vals and any(
            record.relative_path and record.backend_id.id != vals["backend_id"] for record in self
        ):
            raise UserError(
                _("A stored file cannot change backend: create a new file with its content.")
            )
        vals = dict(vals)
        has_data = "data" in vals
        source = vals.pop("data", None)
        content = self._make_content(source) if has_data else None
        try:
            result = super().write(vals)
            if {"res_model", "res_id"} & set(vals):
                self.check_access_rule("write")  # the new linked record too
            for record in self if content else ():
                record._store_content(content)
        finally:
            if content:
                content.close()
        return result

    def copy(self, default=None):
        self.ensure_one()
        if default and "data" in default:
            return super().copy(default)
        with self._open_content() as stream:
            return super().copy(dict(default or {}, data=stream))

    def unlink(self):
        """Mark the files deleted; the cleanup cron removes objects and rows after commit."""
        if self.env.context.get(_COLLECTING) and self.env.su:
            return super().unlink()
        self.check_access_rights("unlink")
        self.check_access_rule("unlink")
        self.sudo().with_context(**{_STORING: True}).write({"to_delete": True, "active": False})
        cron = self.env.ref("storage_file.ir_cron_storage_file_gc", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return True

    # -- content ---------------------------------------------------------------------

    def _open_content(self):
        """A binary file object streaming the content from the backend."""
        self.ensure_one()
        backend = self.backend_id.sudo()
        with backend._storage_errors():
            return backend._file_driver().open(self.relative_path)

    def _content_key(self, driver, checksum, strategy):
        """The object key for content ``checksum`` under naming ``strategy``."""
        if strategy == "hash":
            return f"{checksum[:2]}/{checksum}"
        stem, extension = split_name(self.name)
        key = f"{stem}-{self.id}{extension}"
        if key == self.relative_path or driver.exists(key):
            # Never overwrite an object: the one the committed row refers to must
            # survive a rollback, and one we did not write is not ours to replace.
            # Naming the new one after its content makes a retry find it again.
            key = f"{stem}-{self.id}-{checksum[:16]}{extension}"
        return key

    def _guess_mimetype(self, content):
        mimetype = mimetypes.guess_type(self.name)[0]
        if not mimetype:
            # sniffers complain about the truncated archives they are given
            with mute_logger("odoo.tools.mimetypes"):
                mimetype = guess_mimetype(content.head, default="application/octet-stream")
        # like attachments: only administrators store active content (html, svg...)
        return neuter_mimetype(mimetype or "application/octet-stream", self.env.user)

    def _store_content(self, content):
        """Upload ``content`` and record what was stored, in one step."""
        self.ensure_one()
        if content.sha256 == self.checksum and self.relative_path:
            return
        backend = self.backend_id.sudo()
        strategy = backend._effective_values()["filename_strategy"]
        mimetype = self._guess_mimetype(content)
        replaced = self.relative_path
        # Held until the transaction ends: the collector, which takes a SHARE
        # lock on the table, cannot delete this object before the row exists.
        self.env.cr.execute("LOCK TABLE storage_file IN ROW EXCLUSIVE MODE")
        with backend._storage_errors():
            driver = backend._file_driver()
            key = self._content_key(driver, content.sha256, strategy)
            # an object named after this very content is reused, not uploaded again
            if self._object_size(driver, key) != content.size:
                # listed before the upload: found again if this transaction rolls back
                self.env["storage.file.checklist"]._add(backend.id, [key])
                try:
                    driver.put(
                        key, content.open(), content_type=mimetype, overwrite=strategy == "hash"
                    )
                except ObjectExists as error:
                    raise UserError(
                        _(
                            "Backend %(backend)s already holds another object named %(key)s.",
                            backend=backend.display_name,
                            key=key,
                        )
                    ) from error
                stored = self._object_size(driver, key)
                if stored != content.size:
                    raise UserError(
                        _(
                            "Backend %(backend)s stored %(stored)s bytes of %(name)s instead "
                            "of %(size)s.",
                            backend=backend.display_name,
                            stored=stored,
                            name=self.name,
                            size=content.size,
                        )
                    )
        if replaced:
            self.env["storage.file.checklist"]._add(backend.id, [replaced])
        self.sudo().with_context(**{_STORING: True}).write(
            {
                "relative_path": key,
                "checksum": content.sha256,
                "file_size": content.size,
                "mimetype": mimetype,
                "content_addressed": strategy == "hash",
            }
        )

    @staticmethod
    def _object_size(driver, key):
        try:
            return driver.stat(key).size
        except ObjectNotFound:
            return None

    # -- garbage collection ------------------------------------------------------------

    @api.model
    def _gc_storage_files(self):
        """Cron: delete the objects no file refers to any more, after commit."""
        cr = self.env.cr
        failed = set()
        for __ in range(GC_MAX_BATCHES):
            # The LOCK must open its transaction: the snapshot taken after it then
            # sees every file committed until then (as core's _gc_file_store).
            cr.commit()  # pylint: disable=invalid-commit
            cr.execute("SELECT set_config('lock_timeout', %s, true)", [GC_LOCK_TIMEOUT])
            try:
                cr.execute("LOCK storage_file IN SHARE MODE", log_exceptions=False)
            except psycopg2.errors.LockNotAvailable:
                cr.rollback()
                _logger.info("Storage file cleanup postponed: files are being written")
                return False
            more = self._gc_storage_files_unsafe(GC_BATCH_SIZE, failed)
            # release the lock: it blocks every write of storage files
            cr.commit()  # pylint: disable=invalid-commit
            if not more:
                break
        return True

    @api.model
    def _gc_storage_files_unsafe(self, limit=GC_BATCH_SIZE, failed=None):
        """Delete candidate objects that no file refers to; the caller holds the lock.

        Candidates are the objects of deleted files and the checklist. A backend
        that fails keeps its candidates for the next run, and its id is added to
        ``failed``, whose backends are left alone. Returns whether more
        candidates may be waiting.
        """
        Checklist = self.env["storage.file.checklist"]
        failed = set() if failed is None else failed
        self.env.flush_all()
        doomed = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [("to_delete", "=", True), ("backend_id", "not in", list(failed))],
                order="id",
                limit=limit,
            )
        )
        entries = Checklist._pending(limit, failed)
        candidates = defaultdict(set)
        for record in doomed.filtered("relative_path"):
            candidates[record.backend_id.id].add(record.relative_path)
        for backend_id, key in entries.values():
            candidates[backend_id].add(key)
        backends = self.env["storage.backend"].sudo().with_context(active_test=False)
        deleted = 0
        for backend in backends.browse(list(candidates)).exists():
            keys = candidates[backend.id] - self._referenced_keys(backend, candidates[backend.id])
            try:
                with backend._storage_errors():
                    driver = backend._file_driver()
                    for key in sorted(keys):
                        driver.delete(key)
                        deleted += 1
            except UserError as error:
                failed.add(backend.id)
                _logger.warning("Storage file cleanup: %s; will retry later", error)
        doomed.filtered(lambda record: record.backend_id.id not in failed).with_context(
            **{_COLLECTING: True}
        ).unlink()
        Checklist._done(
            [id_ for id_, (backend_id, __) in entries.items() if backend_id not in failed]
        )
        _logger.info(
            "Storage file cleanup: %d files and %d checklist entries checked, %d objects deleted",
            len(doomed),
            len(entries),
            deleted,
        )
        return len(doomed) == limit or len(entries) == limit

    def _referenced_keys(self, backend, keys):
        """The ``keys`` of ``backend`` that a file (archived or not) still uses."""
        self.env.cr.execute(
            """
            SELECT relative_path FROM storage_file
             WHERE backend_id = %s AND relative_path IN %s AND to_delete IS NOT TRUE
            """,
            [backend.id, tuple(keys)],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    # -- access ------------------------------------------------------------------------

    def check_access_rule(self, operation):
        """Files linked to a record follow it: read it to read them, write it for the rest."""
        super().check_access_rule(operation)
        if self.env.su or not self.ids:
            return
        self.flush_model(["res_model", "res_id"])
        self.env.cr.execute(
            """
            SELECT res_model, array_agg(res_id) FROM storage_file
             WHERE id IN %s AND res_model IS NOT NULL AND res_id IS NOT NULL
             GROUP BY res_model
            """,
            [tuple(self.ids)],
        )
        mode = "read" if operation == "read" else "write"
        for res_model, res_ids in self.env.cr.fetchall():
            if res_model not in self.env:
                continue
            records = self.env[res_model].browse(res_ids).exists()
            records.check_access_rights(mode)
            records.check_access_rule(mode)

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, access_rights_uid=None):
        """Hide the files linked to records the user cannot read (as ir.attachment)."""
        query = super()._search(domain, offset, limit, order, access_rights_uid)
        if self.env.su:
            return query
        self.flush_model(["res_model", "res_id"])
        self.env.cr.execute(
            query.select(
                '"storage_file"."id"', '"storage_file"."res_model"', '"storage_file"."res_id"'
            )
        )
        rows = self.env.cr.fetchall()
        linked = defaultdict(set)
        for __, res_model, res_id in rows:
            if res_model in self.env and res_id:
                linked[res_model].add(res_id)
        readable = {}
        for res_model, res_ids in linked.items():
            Model = self.env[res_model].with_context(active_test=False)
            if Model.check_access_rights("read", raise_exception=False):
                readable[res_model] = set(Model.search([("id", "in", list(res_ids))]).ids)
            else:
                readable[res_model] = set()
        allowed = [
            id_
            for id_, res_model, res_id in rows
            if not (res_model in self.env and res_id) or res_id in readable[res_model]
        ]
        if limit and len(rows) == limit and len(allowed) < limit:
            # keep pages full, like ir.attachment: fetch what the filter removed
            more = self._search(domain, offset + limit, limit - len(allowed), order)
            allowed.extend(more)
        return self.browse(allowed)._as_query(order)

    @api.model
    def _get_by_slug(self, slug):
        """The file of URL name ``slug`` if the current user may read it, else empty."""
        match = SLUG.fullmatch(slug or "")
        file_id = int(match["id"]) if match else None
        record = self.sudo().browse(file_id).exists() if is_record_id(file_id) else self.sudo()
        if not record or record.slug != slug or record.to_delete:
            return self.browse()
        if record._is_public():
            return record
        record = record.with_env(self.env)
        try:
            record.check_access_rights("read")
            record.check_access_rule("read")
        except AccessError:
            return self.browse()
        return record
