# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.storage_backend.storage_drivers import ConfigError
from odoo.addons.storage_backend.storage_drivers.s3 import ACLS, MIB, MIN_PART_SIZE, S3Driver

SECRET_FIELDS = {"aws_secret_access_key", "aws_session_token"}


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    backend_type = fields.Selection(
        selection_add=[("s3", "S3 (Amazon S3 or compatible)")],
        ondelete={"s3": "cascade"},
    )
    # Field names are those of OCA's storage_backend_s3, so its data carries over.
    aws_host = fields.Char(
        string="Endpoint URL",
        help="Leave empty for Amazon S3. For another S3-compatible service, its "
        "URL, e.g. https://s3.fr-par.scw.cloud or http://minio.internal:9000.",
    )
    aws_bucket = fields.Char(
        string="Bucket",
        help="{db} stands for the database name (lowercase, '_' becomes '-'), "
        "so one configuration can give each database its own bucket.",
    )
    aws_region = fields.Char(
        string="Region",
        help="e.g. eu-west-3; us-east-1 when empty. Most S3-compatible servers accept any value.",
    )
    aws_addressing_style = fields.Selection(
        selection=[
            ("auto", "Automatic"),
            ("path", "Path (endpoint/bucket/key)"),
            ("virtual", "Virtual host (bucket.endpoint/key)"),
        ],
        string="Addressing",
        default="auto",
        required=True,
        help="Automatic uses virtual hosts on Amazon S3 and paths elsewhere.",
    )
    aws_access_key_id = fields.Char(string="Access Key ID", groups="base.group_system")
    aws_secret_access_key = fields.Char(string="Secret Access Key", groups="base.group_system")
    aws_session_token = fields.Char(
        string="Session Token",
        groups="base.group_system",
        help="Only for temporary credentials.",
    )
    aws_create_bucket = fields.Boolean(
        string="Create the bucket",
        help="Create the bucket on first use when it does not exist.",
    )
    aws_object_lock = fields.Boolean(
        string="Object Lock on created buckets",
        help="Buckets this backend creates have S3 Object Lock (and so versioning) enabled, "
        "which immutable backups need. It cannot be turned on for an existing bucket.",
    )
    aws_file_acl = fields.Selection(
        selection=[(acl, acl) for acl in ACLS],
        string="Object ACL",
        default="private",
        help="public-read objects get a plain public URL; others get signed, expiring URLs.",
    )
    aws_server_side_encryption = fields.Selection(
        selection=[("AES256", "S3-managed keys (AES256)"), ("aws:kms", "KMS key (aws:kms)")],
        string="Server-side encryption",
    )
    aws_kms_key_id = fields.Char(
        string="KMS key ID", help="Empty: the account's default S3 KMS key."
    )
    aws_cache_control = fields.Char(
        string="Cache-Control", help="Sent with every object, e.g. max-age=31536000."
    )
    aws_part_size = fields.Integer(
        string="Part size (MiB)",
        default=8,
        help="Larger objects are sent in parts of this size, several at a time; "
        "memory used per upload stays around four parts.",
    )
    aws_connect_timeout = fields.Integer(string="Connect timeout (s)", default=5)
    aws_retries = fields.Integer(
        string="Retries",
        default=3,
        help="Retries of a failed request (throttling, server or network errors), "
        "with exponential backoff.",
    )

    @api.constrains(
        "backend_type",
        "aws_bucket",
        "aws_host",
        "directory_path",
        "aws_part_size",
        "aws_connect_timeout",
        "aws_retries",
    )
    def _check_s3_settings(self):
        """Refuse settings S3 would refuse, before anything reaches the server."""
        for backend in self.filtered(lambda b: b.backend_type == "s3"):
            try:
                backend._build_driver_s3(backend._driver_values())
            except ConfigError as error:
                raise ValidationError(
                    _("Backend %(name)s: %(error)s", name=backend.display_name, error=error)
                ) from error

    def _server_env_secret_fields(self):
        return super()._server_env_secret_fields() | SECRET_FIELDS

    def _database_scoped_fields(self):
        return super()._database_scoped_fields() + ["aws_bucket"]

    def _build_driver_s3(self, values):
        if not values.get("aws_bucket"):
            raise UserError(_("Set the bucket of backend %s.", self.display_name))
        if values.get("aws_host") and not values.get("aws_access_key_id"):
            # the server's own AWS credentials are never sent to another endpoint
            raise UserError(
                _("Set the access key and secret key of backend %s.", self.display_name)
            )
        part_size = (values.get("aws_part_size") or 0) * MIB
        if part_size < MIN_PART_SIZE:
            raise ConfigError(_("the part size must be at least 5 MiB"))
        if (values.get("aws_connect_timeout") or 0) < 1 or (values.get("aws_retries") or 0) < 0:
            raise ConfigError(_("the connect timeout must be positive, the retries not negative"))
        return S3Driver(
            values["aws_bucket"],
            prefix=values.get("directory_path") or "",
            db=values["dbname"],
            endpoint_url=values.get("aws_host") or None,
            region=values.get("aws_region") or None,
            addressing_style=values.get("aws_addressing_style") or "auto",
            access_key=values.get("aws_access_key_id") or None,
            secret_key=values.get("aws_secret_access_key") or None,
            session_token=values.get("aws_session_token") or None,
            create_bucket=bool(values.get("aws_create_bucket")),
            object_lock=bool(values.get("aws_object_lock")),
            acl=values.get("aws_file_acl") or "private",
            server_side_encryption=values.get("aws_server_side_encryption") or None,
            kms_key_id=values.get("aws_kms_key_id") or None,
            cache_control=values.get("aws_cache_control") or None,
            multipart_threshold=part_size,
            part_size=part_size,
            connect_timeout=values["aws_connect_timeout"],
            retries=values.get("aws_retries") or 0,
        )
