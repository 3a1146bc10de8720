# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
from datetime import timezone

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import human_size

from odoo.addons.storage_backend.storage_drivers import ObjectNotFound

from ..tools.restore import Restore

_logger = logging.getLogger(__name__)


class StorageBackup(models.Model):
    """A backup found in a policy's folder on its backend.

    The backend is the truth: these records are refreshed from its listing
    (after each backup, and on demand), so backups made by other servers or
    databases sharing the folder show too.
    """

    _name = "storage.backup"
    _description = "Database Backup"
    _order = "created desc, id desc"

    policy_id = fields.Many2one(
        "storage.backup.policy", required=True, ondelete="cascade", index=True, readonly=True
    )
    backend_id = fields.Many2one(related="policy_id.backend_id")
    name = fields.Char(required=True, readonly=True)
    database = fields.Char(readonly=True)
    created = fields.Datetime(string="Made on", readonly=True)
    backup_format = fields.Selection(
        [("zip", "Zip with filestore"), ("dump", "PostgreSQL dump")],
        string="Format",
        readonly=True,
    )
    state = fields.Selection(
        [("complete", "Complete"), ("incomplete", "Incomplete")],
        readonly=True,
        help="Incomplete: the backup has no manifest (it failed, or is being made).",
    )
    archive_key = fields.Char(readonly=True)
    manifest_key = fields.Char(readonly=True)
    objects_key = fields.Char(readonly=True)
    size = fields.Float(
        string="Bytes", digits=(20, 0), readonly=True, help="With the attachment objects."
    )
    size_display = fields.Char(string="Size", compute="_compute_size_display")
    age = fields.Char(compute="_compute_age")
    manifest = fields.Text(compute="_compute_manifest", help="Read from the backend.")
    lock_mode = fields.Selection(
        [("GOVERNANCE", "Governance"), ("COMPLIANCE", "Compliance")],
        string="Object Lock",
        readonly=True,
    )
    locked_until = fields.Datetime(
        string="Protected until",
        readonly=True,
        help="Until then the bucket refuses to delete or replace this backup (S3 Object Lock).",
    )
    legal_hold = fields.Boolean(
        readonly=True, help="Protected until the hold is released, whatever the date."
    )
    retention_blocked = fields.Boolean(
        string="Kept by its lock",
        readonly=True,
        help="The retention counts would have deleted this backup; its lock keeps it, and "
        "the retention deletes it once the lock has ended.",
    )

    _sql_constraints = [
        ("policy_name_uniq", "unique(policy_id, name)", "This backup is already listed."),
    ]

    @api.depends("size")
    def _compute_size_display(self):
        for backup in self:
            backup.size_display = human_size(backup.size)

    @api.depends("created")
    def _compute_age(self):
        now = fields.Datetime.now()
        for backup in self:
            backup.age = _age(relativedelta(now, backup.created)) if backup.created else False

    def _compute_manifest(self):
        for backup in self:
            try:
                backup.manifest = json.dumps(backup._read_manifest(), indent=2)
            except UserError as error:
                backup.manifest = error.args[0]

    # -- listing ------------------------------------------------------------------

    @api.model
    def _sync(self, policy, entries):
        """Make ``policy``'s records match ``entries`` (``{stem: BackupEntry}``)."""
        existing = {backup.name: backup for backup in policy.backup_ids}
        new = []
        for stem, entry in entries.items():
            values = {
                "database": entry.database,
                "created": entry.created,
                "backup_format": entry.backup_format,
                "state": "complete" if entry.complete else "incomplete",
                "archive_key": entry.archive_key if entry.backup_format else False,
                "manifest_key": entry.manifest_key,
                "objects_key": entry.objects_key if entry.objects_size else False,
                "size": entry.size + entry.objects_size,
                **_lock_values(entry),
            }
            backup = existing.pop(stem, None)
            if backup is None:
                new.append({"policy_id": policy.id, "name": stem, **values})
            elif any(backup[name] != value for name, value in values.items()):
                backup.write(values)
        self.create(new)
        self.browse().union(*existing.values()).unlink()

    # -- reading -----------------------------------------------------------------

    def _driver(self):
        return self.policy_id.backend_id.sudo()._get_driver()

    def _read_manifest(self):
        self.ensure_one()
        if self.state != "complete":
            raise UserError(_("Backup %s is incomplete: it has no manifest.", self.name))
        backend = self.policy_id.backend_id.sudo()
        try:
            with backend._storage_errors():
                return json.loads(self._driver().get(self.manifest_key))
        except ObjectNotFound as error:
            raise UserError(
                _("Backup %s is no longer on the backend; refresh the list.", self.name)
            ) from error

    def action_legal_hold(self):
        return self._set_legal_hold(True)

    def action_release_legal_hold(self):
        return self._set_legal_hold(False)

    def _set_legal_hold(self, on):
        """Put or lift a legal hold on every object of these backups."""
        for backup in self:
            if not backup.policy_id.object_lock:
                raise UserError(_("Backup %s is not on a policy with Object Lock.", backup.name))
            driver = backup._driver()
            keys = [backup.archive_key, backup.objects_key, backup.manifest_key]
            with backup.policy_id.backend_id.sudo()._storage_errors():
                for key in filter(None, keys):
                    if key != backup.manifest_key or backup.state == "complete":
                        driver.set_legal_hold(key, on)
            backup.legal_hold = on
            _logger.info(
                "Backup %s: legal hold %s by %s",
                backup.name,
                "put" if on else "lifted",
                self.env.user.login,
            )
        return True

    def action_download(self):
        self.ensure_one()
        if not self.archive_key:
            raise UserError(_("Backup %s has no archive.", self.name))
        return {
            "type": "ir.actions.act_url",
            "url": f"/storage_backup/download/{self.id}",
            "target": "self",
        }

    def action_restore(self):
        self.ensure_one()
        self._read_manifest()  # refuse incomplete or vanished backups at once
        return {
            "type": "ir.actions.act_window",
            "res_model": "storage.backup.restore",
            "view_mode": "form",
            "target": "new",
            "context": {"default_backup_id": self.id},
        }

    def _restore(self, dbname, *, copy=True, neutralize=False):
        """Restore this backup into the new database ``dbname``."""
        self.ensure_one()
        manifest = self._read_manifest()
        driver = self._driver()
        objects = manifest["files"].get("objects")
        backend = self.policy_id.backend_id.sudo()
        _logger.info("Restoring backup %s into database %s", self.name, dbname)
        with backend._storage_errors(), driver.open(manifest["files"]["backup"]["key"]) as archive:
            return Restore(dbname, copy=copy, neutralize=neutralize).run(
                archive,
                manifest["format"],
                # opened once the database is restored: an idle download could time out
                objects_archive=(lambda: driver.open(objects["key"])) if objects else None,
                expected=manifest["files"],
                manifest=manifest,
            )


def _lock_values(entry):
    lock = entry.lock
    until = lock.retain_until if lock else None
    return {
        "lock_mode": (lock.mode if lock else None) or False,
        # naive UTC, as Odoo stores datetimes
        "locked_until": until.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
        if until
        else False,
        "legal_hold": bool(lock and lock.legal_hold),
        "retention_blocked": entry.retention_blocked,
    }


def _age(delta):
    """The largest unit of ``delta`` (a relativedelta), e.g. "3 days"."""
    if delta.years:
        return _("%s years", delta.years)
    if delta.months:
        return _("%s months", delta.months)
    if delta.days:
        return _("%s days", delta.days)
    if delta.hours:
        return _("%s hours", delta.hours)
    return _("%s minutes", delta.minutes)
