# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from odoo.addons.storage_backup.tools.restore import RESTORED_OBJECTS_PARAM


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _object_store_check_copied_database(self):
        """A database that storage_backup restores with its attachment objects
        gets them in its own space: it is a copy with nothing to copy."""
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(RESTORED_OBJECTS_PARAM) == self.env.cr.dbname:
            self._object_store_claim_space()
            params.set_param(RESTORED_OBJECTS_PARAM, False)
            return
        super()._object_store_check_copied_database()
