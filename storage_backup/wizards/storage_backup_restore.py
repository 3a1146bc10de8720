# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.service import db as db_service
from odoo.tools import config

from ..tools.streams import BackupError

_logger = logging.getLogger(__name__)


class StorageBackupRestore(models.TransientModel):
    """Restore a backup into a new database, with the master password."""

    _name = "storage.backup.restore"
    _description = "Restore a database backup"

    backup_id = fields.Many2one("storage.backup", required=True, ondelete="cascade")
    database_name = fields.Char(
        string="New database",
        required=True,
        help="An existing database is never overwritten.",
    )
    # like core's password wizards: kept on the transient row only until used
    master_password = fields.Char(groups="base.group_system")
    new_identity = fields.Boolean(
        default=True,
        help="Give the restored database a new UUID (it is a copy). Clear it only when "
        "the restored database replaces the original, which must be gone.",
    )
    neutralize = fields.Boolean(
        help="Disable outgoing mail, scheduled actions and other connections to the "
        "outside world in the restored database (for tests and staging).",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        backup = self.env["storage.backup"].browse(values.get("backup_id"))
        if backup and "database_name" in fields_list:
            values["database_name"] = f"{backup.database}_restored"
        return values

    def action_restore(self):
        """Restore with the master password, which is forgotten whatever
        happens: failures are shown, not raised, so that the transaction
        clearing it commits."""
        self.ensure_one()
        password, self.master_password = self.master_password, False
        try:
            self._check_master_password(password)
            stats = self.backup_id._restore(
                self.database_name, copy=self.new_identity, neutralize=self.neutralize
            )
        except (AccessError, BackupError, UserError) as error:
            _logger.warning(
                "Restore of backup %s refused or failed: %s", self.backup_id.name, error
            )
            message = error.args[0] if error.args else str(error)
            return self._notification(_("Restore failed"), message, "danger")
        return self._notification(
            _("Database restored"),
            _(
                "Database %(name)s is ready (%(files)s filestore files, %(objects)s "
                "attachment objects). Its backup policies are disabled.",
                name=self.database_name,
                files=stats["filestore_files"],
                objects=stats["objects"] + stats["objects_existing"],
            ),
            "success",
        )

    @api.model
    def _check_master_password(self, password):
        if not config["list_db"]:
            raise AccessError(
                _(
                    "Database management is disabled on this server (list_db); restore "
                    "from the command line instead."
                )
            )
        try:
            db_service.check_super(password)
        except AccessDenied as error:
            raise AccessError(_("Wrong master password.")) from error

    @api.model
    def _notification(self, title, message, kind):
        params = {"title": title, "message": message, "type": kind, "sticky": True}
        if kind == "success":
            params["next"] = {"type": "ir.actions.act_window_close"}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
