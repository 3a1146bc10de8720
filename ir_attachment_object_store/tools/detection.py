# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Find the files other object-storage addons left, and read them where they are.

Each source is read as it configured itself; nothing is moved or deleted:

- camptocamp ``attachment_s3`` / ``attachment_swift``: ``store_fname`` is
  ``s3://<bucket>/<sha1>`` or ``swift://<container>/<sha1>``; settings come
  from environment variables (``AWS_HOST``, ``AWS_BUCKETNAME``...). A
  backend coded ``s3`` (``swift``) reads them; its secrets keep coming from
  those variables.
- OCA ``fs_attachment`` (17.0): ``store_fname`` is ``<code>://<path>``, the
  path under the ``fs.storage`` of that code (its directory, fsspec
  protocol and options). A backend with the same code reads them.
- Catalyst ``odoo_openstack_storage``: location ``openstack`` and the JSON
  parameter ``ir_attachment.location.openstack``; files are named by their
  bare sha1 in the container ``<prefix>-<database>``, or still on disk. The
  backend ``openstack`` is configured from that parameter.

Where the source's location pointed at its own storage, a backend of this
suite with the same settings (``<code>_suite``) becomes the location, so
new files keep going to object storage.
"""

import ast
import json
import logging
import os
import re
from urllib.parse import urlsplit

from odoo import _
from odoo.exceptions import UserError, ValidationError
from odoo.tools.sql import column_exists, table_exists

from .parameters import KEEP_IN_DB_PARAM, LOCATION_PARAM

_logger = logging.getLogger(__name__)

CATALYST_PARAM = "ir_attachment.location.openstack"
CAMPTOCAMP_KEEP_IN_DB = "ir_attachment.storage.force.database"
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# setting of this suite -> environment variable camptocamp's addons read it from
CAMPTOCAMP_S3_SECRETS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
}
CAMPTOCAMP_SWIFT_SECRETS = {"swift_key": "SWIFT_PASSWORD"}


def swift_auth_version(url):
    """``1`` for a Swift v1 (tempauth) URL, else ``3`` (Keystone)."""
    path = urlsplit(url or "").path.rstrip("/")
    return "1" if path.endswith(("/v1.0", "/auth/v1")) else "3"


class SourceDetection:
    """One detection run; :meth:`run` returns what it found, as sentences."""

    def __init__(self, env):
        self.env = env
        self.cr = env.cr
        self.backends = env["storage.backend"].sudo().with_context(active_test=False)
        self.params = env["ir.config_parameter"].sudo()
        self.report = []

    def run(self):
        self._camptocamp_s3()
        self._camptocamp_swift()
        self._fs_attachment()
        self._catalyst()
        self.env.registry.clear_cache()
        if not self.report:
            self.report.append(_("No file of another object-storage addon was found."))
        for line in self.report:
            _logger.info("adoption: %s", line)
        return self.report

    def _catalyst_only(self):
        self._catalyst()
        self.env.registry.clear_cache()
        return self.report

    # -- helpers -------------------------------------------------------------------

    def _count(self, code):
        self.cr.execute(
            "SELECT count(*) FROM ir_attachment WHERE left(store_fname, %s) = %s",
            [len(code) + 3, f"{code}://"],
        )
        return self.cr.fetchone()[0]

    def _spaces(self, code):
        """The buckets (containers) camptocamp's names of ``code`` mention."""
        self.cr.execute(
            """
            SELECT DISTINCT split_part(ltrim(substr(store_fname, %s), '/'), '/', 1)
              FROM ir_attachment WHERE left(store_fname, %s) = %s
            """,
            [len(code) + 4, len(code) + 3, f"{code}://"],
        )
        return sorted(row[0] for row in self.cr.fetchall() if row[0])

    def _has_type(self, backend_type, module):
        field = self.backends._fields["backend_type"]
        if backend_type in dict(field._description_selection(self.env)):
            return True
        self.report.append(
            _(
                "Install %(module)s to read these files (backend type %(type)s).",
                module=module,
                type=backend_type,
            )
        )
        return False

    def _ensure(self, values):
        """Create (or update, when it is ours) the backend ``values`` describe."""
        code = values["code"]
        existing = self.backends.search([("code", "=", code)], limit=1)
        if existing and existing.adopted_layout != values.get("adopted_layout"):
            self.report.append(
                _(
                    "A backend coded %(code)s exists already and is not the one that reads "
                    "these files: rename it and detect again.",
                    code=code,
                )
            )
            return self.backends
        try:
            with self.cr.savepoint():
                if existing:
                    existing.write({k: v for k, v in values.items() if k != "code"})
                    return existing
                return self.backends.create(values)
        except (UserError, ValidationError) as error:
            self.report.append(
                _("Backend %(code)s could not be set up: %(error)s", code=code, error=error)
            )
            return self.backends

    def _new_files_to(self, reader):
        """Make the location a backend of this suite with ``reader``'s settings."""
        values = {
            name: reader[name]
            for name in reader._server_env_field_names()
            if name != "directory_path" or reader.adopted_layout == "fs_attachment"
        }
        values.update(
            name=_("%s (new files)", reader.name),
            code=f"{reader.code}_suite",
            adopted_env=reader.adopted_env,
            adopted_layout=False,
        )
        if reader.backend_type == "swift":
            values["swift_auto_create"] = True
        twin = self._ensure(values)
        if twin:
            location = self.params.get_param(LOCATION_PARAM, "file")
            self.params.set_param(LOCATION_PARAM, twin.code)
            self.report.append(
                _(
                    "New files go to backend %(code)s (the location was %(location)s).",
                    code=twin.code,
                    location=location,
                )
            )

    def _found(self, count, source, reader):
        self.report.append(
            _(
                "%(addon)s: %(count)s files are read where they are, through backend "
                "%(code)s; run 'adopt' to move them to this suite's layout.",
                addon=source,
                count=count,
                code=reader.code,
            )
        )

    # -- camptocamp -------------------------------------------------------------------

    def _camptocamp_s3(self):
        count = self._count("s3")
        location = self.params.get_param(LOCATION_PARAM)
        if not count and location != "s3":
            return
        if not self._has_type("s3", "storage_backend_s3"):
            return
        template = os.environ.get("AWS_BUCKETNAME")
        bucket = template.format(db=self.cr.dbname) if template else None
        bucket = bucket or next(iter(self._spaces("s3")), None)
        host = os.environ.get("AWS_HOST")
        if host and not urlsplit(host).scheme:
            host = f"https://{host}"  # as camptocamp did
        if not bucket:
            self.report.append(_("camptocamp attachment_s3: set AWS_BUCKETNAME and detect again."))
            return
        reader = self._ensure(
            {
                "name": _("camptocamp attachment_s3 files"),
                "code": "s3",
                "backend_type": "s3",
                "adopted_layout": "camptocamp_s3",
                "aws_host": host or False,
                "aws_region": os.environ.get("AWS_REGION") or False,
                "aws_bucket": bucket,
                "adopted_env": CAMPTOCAMP_S3_SECRETS,
            }
        )
        if reader:
            self._found(count, "camptocamp attachment_s3", reader)
            self._keep_in_db_rules()
            if location == "s3":
                self._new_files_to(reader)

    def _camptocamp_swift(self):
        count = self._count("swift")
        location = self.params.get_param(LOCATION_PARAM)
        if not count and location != "swift":
            return
        if not self._has_type("swift", "storage_backend_swift"):
            return
        auth_url = os.environ.get("SWIFT_AUTH_URL")
        container = os.environ.get("SWIFT_WRITE_CONTAINER") or next(
            iter(self._spaces("swift")), None
        )
        if not (auth_url and container):
            self.report.append(
                _("camptocamp attachment_swift: set SWIFT_AUTH_URL and detect again.")
            )
            return
        reader = self._ensure(
            {
                "name": _("camptocamp attachment_swift files"),
                "code": "swift",
                "backend_type": "swift",
                "adopted_layout": "camptocamp_swift",
                "swift_auth_url": auth_url,
                "swift_auth_version": swift_auth_version(auth_url),
                "swift_user": os.environ.get("SWIFT_ACCOUNT") or False,
                "swift_project": os.environ.get("SWIFT_PROJECT_NAME")
                or os.environ.get("SWIFT_TENANT_NAME")
                or False,
                "swift_region": os.environ.get("SWIFT_REGION_NAME") or False,
                # the template of new files' container, were they ours
                "swift_container": container.replace("{", "{{").replace("}", "}}"),
                "swift_auto_create": False,
                "adopted_env": CAMPTOCAMP_SWIFT_SECRETS,
            }
        )
        if reader:
            self._found(count, "camptocamp attachment_swift", reader)
            self._keep_in_db_rules()
            if location == "swift":
                self._new_files_to(reader)

    def _keep_in_db_rules(self):
        """camptocamp's small-files-in-database rules, unless ours are set."""
        rules = self.params.get_param(CAMPTOCAMP_KEEP_IN_DB)
        if not rules or self.params.get_param(KEEP_IN_DB_PARAM):
            return
        try:
            rules = ast.literal_eval(rules)
            self.params.set_param(KEEP_IN_DB_PARAM, json.dumps(rules))
        except (ValueError, SyntaxError, ValidationError):
            self.report.append(
                _("%s is not understood; default rules apply.", CAMPTOCAMP_KEEP_IN_DB)
            )

    # -- OCA fs_attachment ---------------------------------------------------------------

    def _fs_storages(self):
        """``[{code, protocol, options, directory_path, from_env, default}]``.

        Through the ORM while fs_storage is installed (its server environment
        settings then apply), else from its table.
        """
        if "fs.storage" in self.env:
            storages = self.env["fs.storage"].sudo().search([])
            return [
                {
                    "code": storage.code,
                    "protocol": storage.protocol,
                    "options": storage.options,
                    "directory_path": storage.directory_path,
                    "from_env": storage["eval_options_from_env"]
                    if "eval_options_from_env" in storage._fields
                    else False,
                    "default": storage["use_as_default_for_attachments"]
                    if "use_as_default_for_attachments" in storage._fields
                    else False,
                }
                for storage in storages
            ]
        if not table_exists(self.cr, "fs_storage"):
            return []
        columns = ["code", "protocol", "options", "directory_path"]
        for optional in ("eval_options_from_env", "use_as_default_for_attachments"):
            columns.append(optional if column_exists(self.cr, "fs_storage", optional) else "false")
        self.cr.execute(f"SELECT {', '.join(columns)} FROM fs_storage ORDER BY id")
        keys = ("code", "protocol", "options", "directory_path", "from_env", "default")
        return [dict(zip(keys, row, strict=True)) for row in self.cr.fetchall()]

    def _fs_attachment(self):
        for storage in self._fs_storages():
            code = storage["code"] or ""
            count = self._count(code) if code else 0
            if not count and not storage["default"]:
                continue
            source = _("OCA fs_attachment storage %s", code)
            if not CODE_PATTERN.match(code):
                self.report.append(
                    _("%s: its code cannot name a backend of this suite; not read.", source)
                )
                continue
            values = self._fs_values(storage, source)
            if not values:
                continue
            reader = self._ensure(
                dict(
                    values,
                    name=_("fs_attachment %s files", code),
                    code=code,
                    adopted_layout="fs_attachment",
                )
            )
            if reader:
                self._found(count, source, reader)
                if storage["default"] and reader.backend_type != "filesystem":
                    self._new_files_to(reader)

    def _fs_values(self, storage, source):
        protocol = storage["protocol"]
        directory = (storage["directory_path"] or "").strip("/")
        if protocol == "odoofs":
            return {"backend_type": "filesystem", "directory_path": directory or False}
        if protocol != "s3":
            self.report.append(
                _(
                    "%(source)s: protocol %(protocol)s is not supported; its files are not read.",
                    source=source,
                    protocol=protocol,
                )
            )
            return None
        if not self._has_type("s3", "storage_backend_s3"):
            return None
        bucket, __, prefix = directory.partition("/")
        if not bucket:
            self.report.append(_("%s: no bucket in its directory path; not read.", source))
            return None
        try:
            options = json.loads(storage["options"] or "{}")
        except ValueError:
            options = {}
        client = options.get("client_kwargs") or {}
        settings = {
            "aws_host": options.get("endpoint_url") or client.get("endpoint_url"),
            "aws_region": client.get("region_name") or options.get("region_name"),
            "aws_access_key_id": options.get("key") or client.get("aws_access_key_id"),
            "aws_secret_access_key": options.get("secret") or client.get("aws_secret_access_key"),
        }
        values = {"backend_type": "s3", "aws_bucket": bucket, "directory_path": prefix or False}
        from_env = {}
        for name, value in settings.items():
            if storage["from_env"] and isinstance(value, str) and value.startswith("$"):
                from_env[name] = value[1:]  # kept out of the database, as the source did
            else:
                values[name] = value or False
        values["adopted_env"] = from_env or False
        return values

    # -- Catalyst -----------------------------------------------------------------------

    def _catalyst(self):
        raw = self.params.get_param(CATALYST_PARAM)
        if not raw:
            return
        try:
            config = json.loads(raw)
        except ValueError:
            config = None
        if not isinstance(config, dict):
            self.report.append(
                _("%s is not a JSON object; Swift files are not read.", CATALYST_PARAM)
            )
            return
        if not self._has_type("swift", "storage_backend_swift"):
            return
        backend = self._ensure(catalyst_values(config))
        if backend:
            self.cr.execute(
                "SELECT count(*) FROM ir_attachment WHERE store_fname ~ '^[0-9a-f]{40}$'"
            )
            self.report.append(
                _(
                    "Catalyst odoo_openstack_storage: backend openstack (container %(container)s) "
                    "holds new files when the location is openstack; %(count)s files named by "
                    "their sha1 are read from it, or from the filestore.",
                    container=backend.swift_container_name,
                    count=self.cr.fetchone()[0],
                )
            )


def catalyst_values(config):
    """Backend ``openstack`` as Catalyst's JSON parameter describes it."""
    return {
        "name": _("OpenStack Swift (odoo_openstack_storage)"),
        "code": "openstack",
        "backend_type": "swift",
        "adopted_layout": "catalyst",
        "swift_auth_url": config.get("authurl") or False,
        "swift_auth_version": swift_auth_version(config.get("authurl")),
        "swift_user": config.get("user") or False,
        "swift_key": config.get("key") or False,
        "swift_project": config.get("tenant_name") or False,
        "swift_region": config.get("region_name") or False,
        "swift_container_prefix": config.get("container_prefix") or False,
        # Catalyst's "<prefix>-<database>", lowercased as it did
        "swift_container": "{prefix}-{db}",
        "swift_auto_create": True,
    }
