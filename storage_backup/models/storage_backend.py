# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    backup_policy_ids = fields.One2many(
        "storage.backup.policy", "backend_id", string="Backup policies"
    )
    backup_policy_count = fields.Integer(compute="_compute_backup_policy_count")

    def _compute_backup_policy_count(self):
        for backend in self:
            backend.backup_policy_count = len(backend.backup_policy_ids)

    def action_view_backup_policies(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "storage_backup.storage_backup_policy_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"default_backend_id": self.id}
        return action

    def _backup_object_space(self):
        """The driver of this database's attachment space on this backend,
        where a restore puts the attachment objects of a backup, or None when
        attachments are not stored on backends (see storage_backup_object_store)."""
        self.ensure_one()
        return None
