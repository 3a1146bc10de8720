# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.storage_backend.storage_drivers import StorageError

_logger = logging.getLogger(__name__)


class StorageBackupPolicy(models.Model):
    _inherit = "storage.backup.policy"

    include_objects = fields.Boolean(
        string="Include attachment objects",
        tracking=True,
        help="Also save the attachment files this database stores on storage backends. "
        "A restore puts them into the new database's own space.",
    )

    def _backup_object_drivers(self):
        """This database's attachment spaces on the backends its attachments
        name, then the original's while a copied database's objects are still
        being copied there."""
        if not self.include_objects:
            return super()._backup_object_drivers()
        attachments = self.env["ir.attachment"].sudo()
        # the backends that attachments name (the backup's snapshot, taken next,
        # can only name more if one is created meanwhile: counted as missing)
        self.env.cr.execute(
            """
            SELECT DISTINCT split_part(store_fname, '://', 1)
              FROM ir_attachment
             WHERE position('://' in store_fname) > 0
            """
        )
        codes = [code for (code,) in self.env.cr.fetchall()]
        copy_source = attachments._object_store_copy_source()
        drivers = {}
        for code in codes:
            backend = attachments._object_store_backend(code)
            if not backend:
                continue  # its objects are counted as missing
            try:
                spaces = [backend._attachment_driver()]
                if copy_source:
                    spaces.append(backend._attachment_driver(copy_source))
            except (StorageError, UserError) as error:
                _logger.warning("Backup: backend %s is unusable: %s", code, error)
                continue
            drivers[code] = spaces
        return drivers
