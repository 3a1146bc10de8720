# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from urllib.parse import quote, urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.storage_backend.storage_drivers import PrefixDriver


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    filename_strategy = fields.Selection(
        selection=[("hash", "Content hash"), ("name_with_id", "Readable name")],
        string="File naming",
        required=True,
        default="hash",
        help="How storage files are named on this backend.\n"
        "Content hash: <ab>/<sha256>; identical content is stored once.\n"
        "Readable name: <name>-<id>.<extension>.",
    )
    is_public = fields.Boolean(
        string="Public files",
        help="Anyone may read the files of this backend: their URL points at the "
        "storage (or the public base URL) and the Odoo URL serves them to anyone. "
        "Leave unchecked to check the reader's access rights in Odoo.",
    )
    base_url = fields.Char(
        string="Public base URL",
        help="URL of this backend's root as seen by browsers, e.g. a CDN "
        "(https://cdn.example.com/files); {db} stands for the database name. File "
        "URLs are this URL followed by the object's key (after a <db>/ folder when "
        "the backend is shared by databases). Used for public backends only.",
    )
    private_file_delivery = fields.Selection(
        selection=[
            ("stream", "Stream through Odoo"),
            ("redirect", "Redirect to a temporary URL"),
        ],
        string="Private files",
        required=True,
        default="stream",
        help="How Odoo delivers a private file after checking the reader's rights: "
        "stream it, or redirect to a short-lived presigned URL of the storage (when "
        "the backend can make one; otherwise the file is streamed).",
    )
    url_expiry = fields.Integer(
        string="Temporary URL lifetime (s)",
        default=300,
        help="Lifetime in seconds of the presigned URLs Odoo redirects to.",
    )

    @api.constrains("base_url")
    def _check_base_url(self):
        for backend in self.filtered("base_url"):
            parts = urlsplit(backend.base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValidationError(
                    _("The public base URL must be an http(s) URL, not %r.", backend.base_url)
                )

    @api.constrains("url_expiry")
    def _check_url_expiry(self):
        # S3 presigned URLs live at most 7 days
        if any(not 1 <= backend.url_expiry <= 7 * 24 * 3600 for backend in self):
            raise ValidationError(
                _("The temporary URL lifetime must be between 1 second and 7 days.")
            )

    def _file_driver(self):
        """The driver of this database's storage files on this backend.

        As for attachments, a backend whose location does not depend on the
        database gets a ``<db>/`` prefix: databases sharing it never share,
        nor delete, each other's files.
        """
        self.ensure_one()
        prefix = self._file_key_prefix()
        driver = self._get_driver()
        return PrefixDriver(driver, prefix) if prefix else driver

    def _file_key_prefix(self):
        """``<db>/`` when this backend is shared by databases, else empty."""
        return "" if self._database_scoped() else f"{self.env.cr.dbname}/"

    def _file_public_url(self, relative_path):
        """Direct URL of a public file: the base URL, else the driver's URL."""
        self.ensure_one()
        effective = self._effective_values()
        # a CDN would serve the ciphertext of an encrypting backend (storage_keymanager)
        if effective.get("base_url") and not effective.get("encrypt_files"):
            base_url = self._format_db(effective["base_url"], {"dbname": self.env.cr.dbname})
            key = self._file_key_prefix() + relative_path
            return f"{base_url.rstrip('/')}/{quote(key)}"
        with self._storage_errors():
            return self._file_driver().url(relative_path, effective["url_expiry"])

    def _file_temporary_url(self, relative_path):
        """Short-lived URL for a private file, or None to stream it."""
        self.ensure_one()
        effective = self._effective_values()
        if effective["private_file_delivery"] != "redirect":
            return None
        with self._storage_errors():
            return self._file_driver().url(relative_path, effective["url_expiry"])
