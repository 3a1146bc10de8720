# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from ..http_stream import StorageFileStream


class IrBinary(models.AbstractModel):
    _inherit = "ir.binary"

    def _record_to_stream(self, record, field_name):
        # /web/content of a file's data (the form's download button): streamed
        if record._name == "storage.file" and field_name == "data" and record.relative_path:
            return StorageFileStream.from_storage_file(record)
        return super()._record_to_stream(record, field_name)
