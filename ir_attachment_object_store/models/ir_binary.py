# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from ..tools.object_stream import ObjectStream


class IrBinary(models.AbstractModel):
    _inherit = "ir.binary"

    def _record_to_stream(self, record, field_name):
        attachment = self._object_store_attachment(record, field_name)
        source = attachment and attachment._object_store_stream_source()
        if source:
            return ObjectStream.from_attachment(attachment, *source)
        return super()._record_to_stream(record, field_name)

    def _object_store_attachment(self, record, field_name):
        """The attachment holding ``record.field_name``, as core looks it up."""
        if record._name == "ir.attachment" and field_name in ("raw", "datas", "db_datas"):
            return record
        field = record._fields[field_name]
        if field.type != "binary" or not field.attachment or field.compute or field.related:
            return None
        record.check_field_access_rights("read", [field_name])
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                    ("res_field", "=", field_name),
                ],
                limit=1,
            )
        )
