# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import fnmatch
import logging
import os
import re
import threading
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config, format_datetime, human_size

from ..storage_drivers import (
    FSURLDriver,
    InvalidKey,
    LocalDriver,
    ObjectExists,
    ObjectNotFound,
    PrefixDriver,
    StorageError,
    join_key,
    validate_key,
    validate_prefix,
)

_logger = logging.getLogger(__name__)

ADOPTED_LAYOUTS = [
    ("camptocamp_s3", "camptocamp attachment_s3"),
    ("camptocamp_swift", "camptocamp attachment_swift"),
    ("fs_attachment", "OCA fs_attachment"),
    ("oca_storage", "OCA storage_backend (16.0 and before)"),
    ("catalyst", "Catalyst odoo_openstack_storage"),
]
# Layouts whose objects belong to the other addon: never written, never deleted.
FOREIGN_READERS = ("camptocamp_s3", "camptocamp_swift", "fs_attachment")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# A URL typed in the UI must not reach the server's own disk: local paths
# (osfs, zip, tar...) may only come from the server configuration.
UI_FS_URL_SCHEMES = ("ftp", "ftps", "mem", "sftp", "ssh", "webdav", "webdavs")

# One driver per backend configuration and process, shared by all requests:
# drivers hold connection pools and tokens that are costly to rebuild.
_drivers = {}
_drivers_lock = threading.Lock()


class StorageBackend(models.Model):
    _name = "storage.backend"
    _inherit = ["storage.server.env.mixin"]
    _description = "Storage Backend"
    _order = "name, id"

    name = fields.Char(required=True)
    code = fields.Char(
        required=True,
        copy=False,
        help="Technical code: lowercase letters, digits and underscores. It names "
        "the backend in file references and in server settings "
        "([storage_backend.<code>] in the configuration file, "
        "STORAGE_BACKEND_<CODE>_<FIELD> in the environment).",
    )
    active = fields.Boolean(default=True)
    backend_type = fields.Selection(
        selection=[("filesystem", "Local disk"), ("fs_url", "Filesystem URL")],
        string="Type",
        required=True,
        default="filesystem",
    )
    directory_path = fields.Char(
        string="Directory",
        help="Folder (prefix) inside the backend where files go; {db} stands for the "
        "database name. For local disk it is relative to <data_dir>/storage/<database>; "
        "an absolute path can only be set in the server configuration.",
    )
    fs_url = fields.Char(
        string="Filesystem URL",
        help="A PyFilesystem2 URL such as ftp://user:password@host/path; {db} stands "
        "for the database name.",
    )
    location = fields.Char(compute="_compute_location", help="Where files are stored.")
    usage_bytes = fields.Float(string="Bytes used", readonly=True, digits=(20, 0))
    usage_objects = fields.Integer(string="Objects", readonly=True)
    usage_free_bytes = fields.Float(string="Bytes free", readonly=True, digits=(20, 0))
    usage_date = fields.Datetime(string="Usage computed on", readonly=True)
    usage_display = fields.Char(string="Usage", compute="_compute_usage_display")
    # Files another addon stored, read where they are until they are adopted
    # (see ir_attachment_object_store's adoption). Set by the detection only.
    adopted_layout = fields.Selection(
        selection=ADOPTED_LAYOUTS,
        string="Files of another addon",
        readonly=True,
        help="This backend reads files that another addon stored, where and as that "
        "addon stored them. Such files are never deleted by this suite until they are "
        "adopted (rewritten to this suite's layout).",
    )
    adopted_env = fields.Json(
        string="Settings from the other addon's environment",
        readonly=True,
        groups="base.group_system",
        help="Setting name -> environment variable the other addon read it from; "
        "used when the setting is not set on the server for this backend.",
    )

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A storage backend with this code already exists."),
    ]

    # -- constraints ------------------------------------------------------------

    @api.constrains("code")
    def _check_code(self):
        for backend in self:
            if not CODE_PATTERN.match(backend.code or ""):
                raise ValidationError(
                    _(
                        "Invalid code %(code)r: use 1 to 32 lowercase letters, digits or "
                        "underscores, starting with a letter.",
                        code=backend.code,
                    )
                )

    @api.model
    def _check_directory_path(self, path):
        """Refuse a directory that could leave the backend root.

        Checked before writing: PostgreSQL itself rejects some bad values
        (NUL bytes) with a less helpful message.
        """
        try:
            validate_prefix(path or "")
        except InvalidKey as error:
            raise ValidationError(
                _("Invalid directory %(path)r: %(error)s", path=path, error=error)
            ) from error

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_directory_path(vals.get("directory_path"))
        return super().create(vals_list)

    @api.constrains("backend_type", "fs_url")
    def _check_fs_url(self):
        for backend in self.filtered(lambda b: b.backend_type == "fs_url" and b.fs_url):
            scheme = backend.fs_url.partition("://")[0].lower()
            if "://" not in backend.fs_url or scheme not in UI_FS_URL_SCHEMES:
                raise ValidationError(
                    _(
                        "Filesystem URLs must start with one of %(schemes)s; local paths "
                        "can only be configured on the server.",
                        schemes=", ".join(f"{s}://" for s in UI_FS_URL_SCHEMES),
                    )
                )

    # -- computes ---------------------------------------------------------------

    def _server_env_key(self):
        return self.code

    def _server_env_secret_fields(self):
        return super()._server_env_secret_fields() | {"fs_url"}

    def _server_env_raw(self):
        """Our server settings, completed by those the adopted addon read from
        the environment (e.g. camptocamp's ``AWS_SECRET_ACCESS_KEY``), so its
        secrets stay out of the database as they were."""
        raw = super()._server_env_raw()
        adopted = self.sudo().adopted_env if self.id else None
        if not adopted:
            return raw
        names = set(self._server_env_field_names())
        for field, variable in adopted.items():
            if field in names and field not in raw and variable in os.environ:
                raw[field] = os.environ[variable]
        return raw

    def _server_env_stamp(self):
        stamp = super()._server_env_stamp()
        adopted = self.sudo().adopted_env if self.id else None
        if not adopted:
            return stamp
        return (*stamp, tuple(sorted((v, os.environ.get(v)) for v in adopted.values())))

    @api.constrains("adopted_env")
    def _check_adopted_env(self):
        for backend in self.sudo().filtered("adopted_env"):
            if not isinstance(backend.adopted_env, dict) or not all(
                isinstance(name, str) and ENV_NAME.match(name or "")
                for name in backend.adopted_env.values()
            ):
                raise ValidationError(_("Invalid environment variable names."))

    @api.depends("backend_type", "directory_path", "fs_url", "code")
    def _compute_location(self):
        for backend in self:
            try:
                backend.location = backend._get_driver().label if backend.id else False
            except (StorageError, UserError) as error:
                backend.location = _("Invalid configuration: %s", error)

    @api.depends("usage_bytes", "usage_objects", "usage_free_bytes", "usage_date")
    def _compute_usage_display(self):
        for backend in self:
            if not backend.usage_date:
                backend.usage_display = _("Not computed yet")
                continue
            text = _(
                "%(size)s in %(count)s objects",
                size=human_size(backend.usage_bytes),
                count=f"{backend.usage_objects:,}",
            )
            if backend.usage_free_bytes:
                text += _(", %s free", human_size(backend.usage_free_bytes))
            backend.usage_display = _(
                "%(usage)s (on %(date)s)",
                usage=text,
                date=format_datetime(self.env, backend.usage_date),
            )

    # -- drivers ----------------------------------------------------------------

    def _get_driver(self, dbname=None):
        """The driver for this backend's current configuration, cached per process.

        ``dbname`` gives the driver that database would use (its ``{db}``
        placeholders filled in), e.g. to copy a database's files.
        """
        self.ensure_one()
        dbname = dbname or self.env.cr.dbname
        # checked on every call, so it must be cheap: no field is converted
        stamp = self._driver_stamp(dbname)
        cache_key = (self.env.cr.dbname, self.id, dbname)
        with _drivers_lock:
            cached = _drivers.get(cache_key)
        if cached and cached[0] == stamp:
            return cached[1]
        with self._storage_errors():
            driver = self._build_driver(self._driver_values(dbname))
        with _drivers_lock:
            previous = _drivers.get(cache_key)
            _drivers[cache_key] = (stamp, driver)
        if previous:
            previous[1].close()
        return driver

    def _driver_stamp(self, dbname):
        """What changes when the driver must be built again.

        The record's ``write_date`` stands for its fields (``write()`` also
        drops the cached drivers, for changes within one transaction); the
        server settings are compared as they are.
        """
        return (self.write_date, dbname, config["data_dir"], self._server_env_stamp())

    def _driver_values(self, dbname=None):
        """Everything a driver is built from; a change builds a new driver."""
        values = self._effective_values()
        values.update(
            dbname=dbname or self.env.cr.dbname,
            data_dir=config["data_dir"],
            adopted_layout=self.adopted_layout,
        )
        return values

    def _is_foreign_reader(self):
        """Whether this backend only reads another addon's files, as it stored them."""
        self.ensure_one()
        return self.adopted_layout in FOREIGN_READERS

    def _database_scoped(self, values=None):
        """Whether each database gets its own space on this backend.

        True when the location depends on the database: local disk always
        (``<data_dir>/storage/<db>``), other types when a setting holds ``{db}``.
        """
        self.ensure_one()
        values = values or self._driver_values()
        if values["backend_type"] == "filesystem":
            return True
        return any("{db}" in (values.get(name) or "") for name in self._database_scoped_fields())

    def _database_scoped_fields(self):
        """Settings that may hold a ``{db}`` placeholder."""
        return ["directory_path", "fs_url"]

    @api.model
    def _format_db(self, text, values):
        """``text`` with its ``{db}`` placeholders replaced by the database name."""
        return (text or "").replace("{db}", values["dbname"])

    def _build_driver(self, values):
        builder = getattr(self, f"_build_driver_{values['backend_type']}", None)
        if builder is None:
            raise UserError(_("Backend type %s is not supported.", values["backend_type"]))
        return builder(values)

    def _build_driver_filesystem(self, values):
        return LocalDriver(self._filesystem_root(values))

    def _filesystem_root(self, values):
        path = self._format_db(values.get("directory_path"), values)
        if os.path.isabs(path):  # only possible from the server configuration
            return path
        if values.get("adopted_layout") in ("fs_attachment", "oca_storage"):
            # where OCA's storage addons kept local files: <filestore>/storage/<directory>
            filestore = os.path.join(values["data_dir"], "filestore", values["dbname"])
            return os.path.join(filestore, "storage", path)
        return os.path.join(values["data_dir"], "storage", values["dbname"], path)

    def _build_driver_fs_url(self, values):
        if not values.get("fs_url"):
            raise UserError(_("Set the filesystem URL of backend %s.", self.display_name))
        return self._with_directory(FSURLDriver(self._format_db(values["fs_url"], values)), values)

    @api.model
    def _with_directory(self, driver, values):
        """Confine ``driver`` to the configured directory, if any."""
        directory = self._format_db(values.get("directory_path"), values).strip("/")
        return PrefixDriver(driver, directory) if directory else driver

    @contextmanager
    def _storage_errors(self):
        """Show storage failures as user errors; keep not-found for callers."""
        try:
            yield
        except (ObjectNotFound, ObjectExists):
            raise
        except StorageError as error:
            raise UserError(
                _("Storage backend %(name)s: %(error)s", name=self.display_name, error=error)
            ) from error

    def write(self, vals):
        if "directory_path" in vals:
            self._check_directory_path(vals["directory_path"])
        result = super().write(vals)
        self._drop_drivers()
        return result

    def unlink(self):
        self._drop_drivers()
        return super().unlink()

    def _drop_drivers(self):
        mine = {(self.env.cr.dbname, backend_id) for backend_id in self.ids}
        with _drivers_lock:
            dropped = [_drivers.pop(key) for key in list(_drivers) if key[:2] in mine]
        for __, driver in dropped:
            driver.close()

    # -- OCA storage_backend API ------------------------------------------------

    def add(self, relative_path, data, binary=True, **kwargs):
        """Store ``data`` (bytes, base64 when ``binary`` is False, or a file object)."""
        self.ensure_one()
        if not binary:
            data = base64.b64decode(data)
        with self._storage_errors():
            self._get_driver().put(
                relative_path,
                data,
                content_type=kwargs.get("mimetype") or kwargs.get("content_type"),
                overwrite=kwargs.get("overwrite", True),
            )

    def get(self, relative_path, binary=True):
        """Content of ``relative_path`` as bytes (base64 when ``binary`` is False)."""
        self.ensure_one()
        with self._storage_errors():
            data = self._get_driver().get(relative_path)
        return data if binary else base64.b64encode(data)

    def exists(self, relative_path=None):
        """Whether file ``relative_path`` exists; without a path, the ORM's exists()."""
        if relative_path is None:
            return super().exists()
        self.ensure_one()
        with self._storage_errors():
            return self._get_driver().exists(relative_path)

    def delete(self, relative_path):
        self.ensure_one()
        with self._storage_errors():
            self._get_driver().delete(relative_path)

    def list_files(self, relative_path="", pattern=False):
        """Names of the files directly in folder ``relative_path``, glob-filtered."""
        self.ensure_one()
        folder = self._folder(relative_path)
        with self._storage_errors():
            names = sorted(
                key[len(folder) :]
                for key in self._get_driver().list(folder)
                if "/" not in key[len(folder) :]
            )
        return fnmatch.filter(names, pattern) if pattern else names

    def find_files(self, pattern, relative_path="", **kwargs):
        """Paths (from the backend root) of files in ``relative_path`` matching a regex."""
        regex = re.compile(pattern)
        return [
            join_key(relative_path, name)
            for name in self.list_files(relative_path)
            if regex.match(name)
        ]

    def move_files(self, files, destination_path, **kwargs):
        """Move each file into folder ``destination_path``, keeping its name."""
        self.ensure_one()
        destination = self._folder(destination_path)
        moves = [(path, destination + path.rpartition("/")[2]) for path in files]
        with self._storage_errors():
            for source, target in moves:
                validate_key(source)
                validate_key(target)
            driver = self._get_driver()
            for source, target in moves:
                if source != target:
                    driver.copy(source, target)
                    driver.delete(source)
        return [target for __, target in moves]

    @api.model
    def _folder(self, relative_path):
        folder = (relative_path or "").strip("/")
        with self._storage_errors():
            validate_prefix(folder)
        return f"{folder}/" if folder else ""

    # -- actions ----------------------------------------------------------------

    def action_test_connection(self):
        self.ensure_one()
        try:
            result = self._get_driver().check()
            ok, message = result.ok, result.message
        except UserError as error:
            ok, message = False, str(error)
        _logger.info(
            "Storage backend %s: connection test %s: %s",
            self.code,
            "passed" if ok else "failed",
            message,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Connection succeeded") if ok else _("Connection failed"),
                "message": message,
                "type": "success" if ok else "danger",
                "sticky": not ok,
            },
        }

    def action_refresh_usage(self):
        for backend in self:
            with backend._storage_errors():
                usage = backend._get_driver().usage()
            backend.write(
                {
                    "usage_bytes": usage.bytes_used,
                    "usage_objects": usage.object_count,
                    "usage_free_bytes": usage.bytes_free or 0.0,
                    "usage_date": fields.Datetime.now(),
                }
            )
        return True
