# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class StorageFileMixin(models.AbstractModel):
    """Storage files attached to the records of a model.

    The files follow their record: whoever may read the record reads them,
    whoever may write it adds or deletes them, and they are deleted with it.
    """

    _name = "storage.file.mixin"
    _description = "Records with storage files"

    storage_file_ids = fields.One2many(
        "storage.file",
        "res_id",
        string="Storage files",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    storage_file_count = fields.Integer(compute="_compute_storage_file_count")

    @api.depends("storage_file_ids")
    def _compute_storage_file_count(self):
        groups = self.env["storage.file"]._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)],
            ["res_id"],
            ["__count"],
        )
        counts = dict(groups)
        for record in self:
            record.storage_file_count = counts.get(record.id, 0)

    def _storage_file_add(self, name, data, backend=None, **values):
        """Store ``data`` (base64, or a binary file object streamed in bounded memory)
        as a storage file of this record, on ``backend`` or the default one."""
        self.ensure_one()
        vals = {"name": name, "data": data, "res_model": self._name, "res_id": self.id}
        if backend:
            vals["backend_id"] = backend.id
        return self.env["storage.file"].create([{**vals, **values}])

    def unlink(self):
        files = (
            self.env["storage.file"]
            .sudo()
            .with_context(active_test=False)
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
        )
        result = super().unlink()
        files.unlink()
        return result
