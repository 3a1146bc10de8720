# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class StorageFileTestRecord(models.Model):
    _name = "storage.file.test.record"
    _inherit = ["storage.file.mixin"]
    _description = "Record with storage files (tests only)"

    name = fields.Char()
