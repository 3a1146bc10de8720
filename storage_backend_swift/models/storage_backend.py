# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.storage_backend.storage_drivers.swift import SwiftDriver, check_container_name

MIB = 1024 * 1024
DEFAULT_CONTAINER = "{prefix}-{db}"
SECRET_FIELDS = {"swift_key", "swift_token", "swift_temp_url_key"}


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    backend_type = fields.Selection(
        selection_add=[("swift", "OpenStack Swift")],
        ondelete={"swift": "cascade"},
    )
    swift_auth_version = fields.Selection(
        [("3", "Keystone v3"), ("1", "Swift v1 (tempauth)")],
        string="Authentication",
        default="3",
    )
    swift_auth_url = fields.Char(
        string="Auth URL",
        help="Keystone v3 (https://keystone.example.com:5000/v3) or Swift v1 "
        "(https://swift.example.com/auth/v1.0) authentication URL.",
    )
    swift_user = fields.Char(string="User")
    swift_key = fields.Char(
        string="Password",
        groups="base.group_system",
        help="Password (Keystone) or key (Swift v1). Better set on the server: "
        "STORAGE_BACKEND_<CODE>_SWIFT_KEY.",
    )
    swift_project = fields.Char(string="Project", help="Keystone project (tenant) name.")
    swift_user_domain = fields.Char(string="User domain", default="Default")
    swift_project_domain = fields.Char(string="Project domain", default="Default")
    swift_region = fields.Char(
        string="Region", help="Keystone region of the object-store endpoint; empty for any."
    )
    swift_interface = fields.Selection(
        [("public", "Public"), ("internal", "Internal"), ("admin", "Admin")],
        string="Endpoint interface",
        default="public",
    )
    swift_token = fields.Char(
        string="Pre-issued token",
        groups="base.group_system",
        help="A token obtained elsewhere, used with the storage URL instead of "
        "credentials (or first, when credentials are set too).",
    )
    swift_storage_url = fields.Char(
        string="Storage URL",
        help="The account URL (https://swift.example.com/v1/AUTH_xyz). Needed with a "
        "pre-issued token; otherwise it overrides the URL from the catalog.",
    )
    swift_container_prefix = fields.Char(
        string="Container prefix",
        default="odoo",
        help="Replaces {prefix} in the container name.",
    )
    swift_container = fields.Char(
        string="Container name",
        default=DEFAULT_CONTAINER,
        help="Template of the container, lowercased: {prefix} is the container prefix "
        "and {db} the database name, so that each database has its own container.",
    )
    swift_container_name = fields.Char(string="Container", compute="_compute_swift_container_name")
    swift_auto_create = fields.Boolean(
        string="Create the container", default=True, help="Create missing containers."
    )
    swift_temp_url_key = fields.Char(
        string="Temp URL key",
        groups="base.group_system",
        help="Secret used to sign temporary download URLs; set on the container by "
        "Odoo. Without it, files are only served through Odoo.",
    )
    swift_large_object_mb = fields.Integer(
        string="Large objects from (MiB)",
        default=32,
        help="Larger files are uploaded as static large objects, in segments.",
    )
    swift_segment_mb = fields.Integer(
        string="Segment size (MiB)",
        default=32,
        help="Size of the segments of large objects; also bounds the memory an "
        "upload of unknown length uses.",
    )

    @api.constrains("swift_container", "swift_container_prefix")
    def _check_swift_container(self):
        for backend in self.filtered(lambda b: b.backend_type == "swift"):
            values = {
                "swift_container": backend.swift_container,
                "swift_container_prefix": backend.swift_container_prefix,
            }
            self._swift_container_for(values, self.env.cr.dbname)

    @api.constrains("swift_auth_url", "swift_storage_url")
    def _check_swift_urls(self):
        for backend in self.filtered(lambda b: b.backend_type == "swift"):
            for url in (backend.swift_auth_url, backend.swift_storage_url):
                if url and not url.startswith(("http://", "https://")):
                    raise ValidationError(_("Swift URLs start with https:// (or http://)."))

    @api.constrains("swift_large_object_mb", "swift_segment_mb")
    def _check_swift_sizes(self):
        for backend in self.filtered(lambda b: b.backend_type == "swift"):
            sizes = (backend.swift_large_object_mb, backend.swift_segment_mb)
            if not all(1 <= size <= 5120 for size in sizes):
                raise ValidationError(_("Swift object and segment sizes go from 1 to 5120 MiB."))

    def _database_scoped(self, values=None):
        values = values or self._driver_values()
        if values["backend_type"] == "swift":
            # one container per database unless the template leaves {db} out
            return "{db}" in (values.get("swift_container") or DEFAULT_CONTAINER)
        return super()._database_scoped(values)

    def _server_env_secret_fields(self):
        return super()._server_env_secret_fields() | SECRET_FIELDS

    @api.depends("backend_type", "swift_container", "swift_container_prefix")
    def _compute_swift_container_name(self):
        for backend in self:
            backend.swift_container_name = False
            if backend.backend_type == "swift":
                try:
                    backend.swift_container_name = backend._swift_container_for(
                        backend._effective_values(), self.env.cr.dbname
                    )
                except (ValidationError, UserError) as error:
                    backend.swift_container_name = str(error)

    @api.depends("swift_auth_url", "swift_storage_url", "swift_container", "swift_container_prefix")
    def _compute_location(self):
        return super()._compute_location()

    @api.model
    def _swift_container_for(self, values, dbname):
        """The container of database ``dbname``: the template, lowercased.

        Files adopted from another addon name their container themselves
        (``swift_container_exact``), case and all.
        """
        if values.get("swift_container_exact"):
            try:
                return check_container_name(values["swift_container_exact"])
            except ValueError as error:
                raise ValidationError(str(error)) from error
        template = values.get("swift_container") or DEFAULT_CONTAINER
        try:
            name = template.format(prefix=values.get("swift_container_prefix") or "", db=dbname)
            return check_container_name(name.lower())
        except (KeyError, IndexError, ValueError) as error:
            raise ValidationError(
                _(
                    "Invalid Swift container name %(template)r: %(error)s. Use text, "
                    "{prefix} and {db} (no slash).",
                    template=template,
                    error=error,
                )
            ) from error

    def _build_driver_swift(self, values):
        has_credentials = values.get("swift_auth_url")
        has_token = values.get("swift_token") and values.get("swift_storage_url")
        if not (has_credentials or has_token):
            raise UserError(
                _(
                    "Set the auth URL and credentials (or a token and storage URL) of backend %s.",
                    self.display_name,
                )
            )
        driver = SwiftDriver(
            self._swift_container_for(values, values["dbname"]),
            auth_url=values.get("swift_auth_url") or None,
            auth_version=values.get("swift_auth_version") or "3",
            user=values.get("swift_user") or None,
            key=values.get("swift_key") or None,
            project=values.get("swift_project") or None,
            user_domain=values.get("swift_user_domain") or "Default",
            project_domain=values.get("swift_project_domain") or "Default",
            region=values.get("swift_region") or None,
            interface=values.get("swift_interface") or "public",
            token=values.get("swift_token") or None,
            storage_url=values.get("swift_storage_url") or None,
            auto_create=values.get("swift_auto_create"),
            temp_url_key=values.get("swift_temp_url_key") or None,
            large_object_size=(values.get("swift_large_object_mb") or 32) * MIB,
            segment_size=(values.get("swift_segment_mb") or 32) * MIB,
        )
        return self._with_directory(driver, values)
