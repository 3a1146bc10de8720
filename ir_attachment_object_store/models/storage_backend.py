# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.storage_backend.storage_drivers import PrefixDriver
from odoo.addons.storage_backend.storage_drivers.spaces import SpacesDriver

# camptocamp's names carry their bucket or container: the setting it fills
SPACE_FIELDS = {"camptocamp_s3": "aws_bucket", "camptocamp_swift": "swift_container_exact"}


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    attachment_redirect = fields.Boolean(
        string="Serve downloads by redirect",
        help="Answer attachment downloads with a redirect to a short-lived direct URL "
        "(presigned or temporary URL) instead of streaming them through Odoo. Only "
        "for backends that give such URLs; never for encrypted files.",
    )
    attachment_redirect_expiry = fields.Integer(
        string="Redirect lifetime (s)",
        default=300,
        help="How long a redirect URL stays valid.",
    )
    keep_objects_on_drop = fields.Boolean(
        string="Keep files when a database is dropped",
        help="By default, dropping a database deletes its attachments on this backend.",
    )
    attachment_count = fields.Integer(compute="_compute_attachment_count")

    def _compute_attachment_count(self):
        for backend in self:
            backend.attachment_count = (
                self.env["ir.attachment"]
                .sudo()
                .search_count(
                    [
                        ("store_fname", "=like", f"{backend.code}://%"),
                        "|",
                        ("res_field", "=", False),
                        ("res_field", "!=", False),
                    ]
                )
                if backend.code
                else 0
            )

    def action_move_attachments_here(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ir.attachment.migration",
            "view_mode": "form",
            "context": {"default_target": self.code},
        }

    @api.model
    def action_detect_other_addons_files(self):
        """Find other object-storage addons' files and read them where they are."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators can look for other addons' files."))
        report = self.env["ir.attachment"].sudo()._object_store_detect_sources()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Files of other addons"),
                "message": "\n".join(report),
                "sticky": True,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _attachment_driver(self, dbname=None):
        """The driver of database ``dbname``'s attachment space on this backend.

        Keys in it are those of ``store_fname`` (``ab/abcdef...``). Backends
        whose location does not depend on the database get a ``<db>/`` prefix,
        so that databases never share (and garbage-collect) each other's files.
        A backend reading another addon's files has no space of its own: its
        keys are those the other addon wrote, shared by every copy of the
        database as they were before.
        """
        self.ensure_one()
        if self._is_foreign_reader():
            return self._get_driver()
        values = self._driver_values(dbname)
        driver = self._get_driver(dbname)
        if self._database_scoped(values):
            return driver
        return PrefixDriver(driver, values["dbname"])

    def _build_driver(self, values):
        field = SPACE_FIELDS.get(values.get("adopted_layout"))
        if not field:
            return super()._build_driver(values)
        build = super()._build_driver
        label = f"{self.display_name} (files of another addon)"

        def driver_for(space):
            return build(dict(values, directory_path="", **{field: space}))

        return SpacesDriver(driver_for, label)

    def _is_used_by_attachments(self):
        self.ensure_one()
        self.env.cr.execute(
            "SELECT 1 FROM ir_attachment WHERE store_fname LIKE %s LIMIT 1",
            [f"{self.code}://%"],
        )
        return bool(self.env.cr.fetchone())

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()  # ir.attachment._object_store_backend_id
        return records

    def write(self, vals):
        if "code" in vals:
            for backend in self.filtered(lambda b: b.code != vals["code"]):
                if backend._is_used_by_attachments():
                    raise UserError(
                        _(
                            "Attachments are stored on backend %s: its code names them and "
                            "cannot change.",
                            backend.display_name,
                        )
                    )
        result = super().write(vals)
        if "code" in vals:
            self.env.registry.clear_cache()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used_by_attachments(self):
        for backend in self:
            if backend._is_used_by_attachments():
                raise UserError(
                    _(
                        "Attachments are stored on backend %s; move them elsewhere "
                        "before deleting it.",
                        backend.display_name,
                    )
                )
            location = self.env["ir.config_parameter"].sudo().get_param("ir_attachment.location")
            if location == backend.code:
                raise UserError(
                    _(
                        "Backend %s is the attachment location; change the location first.",
                        backend.display_name,
                    )
                )

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
