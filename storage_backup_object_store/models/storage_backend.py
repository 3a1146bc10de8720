# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    def _backup_object_space(self):
        self.ensure_one()
        return self._attachment_driver()
