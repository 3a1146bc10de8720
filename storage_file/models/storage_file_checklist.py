# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api, fields, models


class StorageFileChecklist(models.Model):
    """Objects to look at during the next garbage collection.

    An object is listed here, in a transaction of its own, *before* it is
    uploaded or replaced. Whatever becomes of the transaction that uploads it
    (commit, rollback, a killed worker), the collector then finds it and
    deletes it when no storage.file refers to it. This is core's filestore
    checklist kept in the database, so that every Odoo server sees it.
    """

    _name = "storage.file.checklist"
    _description = "Storage objects to check for garbage collection"
    _log_access = False

    # plain integer: the backend may exist only in the uncommitted transaction
    backend_id = fields.Integer(required=True, index=True)
    key = fields.Char(required=True)
    create_date = fields.Datetime(default=fields.Datetime.now)

    @api.model
    def _add(self, backend_id, keys):
        """List ``keys`` of ``backend_id``, committed at once on its own cursor."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env[self._name].create([{"backend_id": backend_id, "key": key} for key in keys])

    @api.model
    def _pending(self, limit, skip_backend_ids=()):
        """``{id: (backend_id, key)}`` of the oldest entries, read on a fresh cursor."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                """
                SELECT id, backend_id, key FROM storage_file_checklist
                 WHERE backend_id != ALL(%s) ORDER BY id LIMIT %s
                """,
                [list(skip_backend_ids), limit],
            )
            return {row[0]: (row[1], row[2]) for row in cr.fetchall()}

    @api.model
    def _done(self, ids):
        if ids:
            with self.env.registry.cursor() as cr:
                cr.execute("DELETE FROM storage_file_checklist WHERE id IN %s", [tuple(ids)])
