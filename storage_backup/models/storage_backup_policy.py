# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import zlib
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import human_size

from odoo.addons.storage_backend.storage_drivers import InvalidKey, StorageError, validate_prefix

from ..tools import naming
from ..tools.backup_run import BackupRun, BackupSettings
from ..tools.retention import PERIODS, UNLIMITED, backups_to_keep

_logger = logging.getLogger(__name__)

# the database this one's policies were made for; another name means a copy
DATABASE_PARAM = "storage_backup.database"
INTERVALS = {
    "minutes": lambda count: relativedelta(minutes=count),
    "hours": lambda count: relativedelta(hours=count),
    "days": lambda count: relativedelta(days=count),
    "weeks": lambda count: relativedelta(weeks=count),
    "months": lambda count: relativedelta(months=count),
}
RUN_LOCK = zlib.crc32(b"storage.backup.policy") & 0x7FFFFFFF  # with the policy id
RETENTION_HELP = "0 keeps none by this rule, -1 keeps all."


class StorageBackupPolicy(models.Model):
    """What to back up, where, how often, and how many backups to keep.

    Each policy has its own scheduled action. A backup counts once it is
    verified on the backend; only then does the retention delete older
    ones, and only backups of this database.
    """

    _name = "storage.backup.policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Database Backup Policy"
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    backend_id = fields.Many2one(
        "storage.backend",
        string="Storage backend",
        required=True,
        ondelete="restrict",
        tracking=True,
    )
    prefix = fields.Char(
        string="Folder",
        required=True,
        default="backups/{db}",
        tracking=True,
        help="Key prefix of the backups on the backend; {db} stands for the database name.",
    )
    backup_format = fields.Selection(
        [
            ("zip", "Zip with filestore (Odoo's format)"),
            ("dump", "PostgreSQL custom dump, without filestore"),
        ],
        string="Format",
        required=True,
        default="zip",
        tracking=True,
        help="The zip can also be restored by Odoo's database manager. The custom dump "
        "(pg_dump --format=c) is smaller and faster, for databases whose files are on "
        "storage backends.",
    )
    verify_read_back = fields.Boolean(
        string="Verify by reading back",
        help="Read each backup back and compare its SHA-256 with what was sent. Without "
        "it, the size the backend reports is compared.",
    )
    object_lock = fields.Selection(
        [
            ("GOVERNANCE", "Governance (who may bypass governance can still delete)"),
            ("COMPLIANCE", "Compliance (nobody can delete, not even the bucket's owner)"),
        ],
        string="Immutable (S3 Object Lock)",
        tracking=True,
        help="Lock each backup's objects on the bucket for the retention period: they cannot "
        "be deleted or replaced, even with the backend's own keys (ransomware, a mistaken "
        "script). Needs an S3 bucket created with Object Lock.",
    )
    object_lock_days = fields.Integer(
        string="Locked for (days)",
        default=30,
        tracking=True,
        help="Retention period of each backup from when it is made; the retention counts "
        "never delete a backup before it ends.",
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled action", readonly=True, ondelete="restrict", copy=False
    )
    interval_number = fields.Integer(
        string="Every", related="cron_id.interval_number", readonly=False, default=1
    )
    interval_type = fields.Selection(
        string="Interval unit", related="cron_id.interval_type", readonly=False, default="days"
    )
    nextcall = fields.Datetime(string="Next backup", related="cron_id.nextcall", readonly=False)
    keep_hourly = fields.Integer(string="Hourly backups kept", default=0, help=RETENTION_HELP)
    keep_daily = fields.Integer(string="Daily backups kept", default=7, help=RETENTION_HELP)
    keep_weekly = fields.Integer(string="Weekly backups kept", default=4, help=RETENTION_HELP)
    keep_monthly = fields.Integer(string="Monthly backups kept", default=12, help=RETENTION_HELP)
    keep_yearly = fields.Integer(string="Yearly backups kept", default=0, help=RETENTION_HELP)
    alert_user_id = fields.Many2one(
        "res.users",
        string="Alert",
        default=lambda self: self.env.user,
        domain=lambda self: [("groups_id", "in", self.env.ref("base.group_system").id)],
        help="Administrator who gets an activity when a backup fails or is overdue.",
    )
    last_run_date = fields.Datetime(string="Last run", readonly=True, copy=False)
    last_state = fields.Selection(
        [("success", "Succeeded"), ("failed", "Failed")],
        string="Last result",
        readonly=True,
        copy=False,
    )
    last_error = fields.Text(readonly=True, copy=False)
    last_summary = fields.Char(string="Last backup", readonly=True, copy=False)
    last_success_date = fields.Datetime(string="Last success", readonly=True, copy=False)
    backup_ids = fields.One2many("storage.backup", "policy_id", string="Backups")
    backup_count = fields.Integer(compute="_compute_backup_count")

    _sql_constraints = [
        (
            "backend_prefix_uniq",
            "unique(backend_id, prefix)",
            "Another policy already stores its backups in this folder of this backend.",
        ),
    ]

    # -- constraints --------------------------------------------------------------

    @api.constrains("prefix")
    def _check_prefix(self):
        for policy in self:
            try:
                validate_prefix(policy._backup_prefix())
            except InvalidKey as error:
                raise ValidationError(
                    _("Invalid folder %(prefix)r: %(error)s", prefix=policy.prefix, error=error)
                ) from error

    @api.constrains("object_lock", "object_lock_days", "backend_id")
    def _check_object_lock(self):
        """Refuse the option at save unless the bucket can lock objects (asked to it)."""
        for policy in self.filtered("object_lock"):
            if policy.object_lock_days < 1:
                raise ValidationError(_("Backups must be locked for at least one day."))
            backend = policy.backend_id.sudo()
            driver = backend._get_driver()
            check = getattr(driver, "check_object_lock", None)
            if check is None:
                raise ValidationError(
                    _(
                        "Immutable backups need an S3 backend with Object Lock; %s is not one.",
                        backend.name,
                    )
                )
            try:
                with backend._storage_errors():
                    check()
            except (StorageError, UserError) as error:
                raise ValidationError(
                    _(
                        "Immutable backups are not possible on %(backend)s: %(error)s",
                        backend=backend.name,
                        error=_error_text(error),
                    )
                ) from error

    @api.constrains("keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
    def _check_retention(self):
        for policy in self:
            counts = policy._retention_counts().values()
            if any(count < UNLIMITED for count in counts):
                raise ValidationError(_("Backups kept: use a count, 0 for none or -1 for all."))
            if not any(counts):
                raise ValidationError(_("Keep at least one kind of backup (hourly, daily...)."))

    @api.model
    def _check_schedule(self, vals):
        """The interval is the scheduled action's: checked on the way there."""
        if "interval_number" in vals and (vals["interval_number"] or 0) < 1:
            raise ValidationError(_("The backup interval must be at least 1."))

    def _compute_backup_count(self):
        counts = dict(
            self.env["storage.backup"]._read_group(
                [("policy_id", "in", self.ids)], ["policy_id"], ["__count"]
            )
        )
        for policy in self:
            policy.backup_count = counts.get(policy, 0)

    # -- scheduled action -------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # the scheduled action's fields, for the action made once the policy exists
        for vals in vals_list:
            self._check_schedule(vals)
        schedules = [
            {
                "interval_number": vals.pop("interval_number", 1),
                "interval_type": vals.pop("interval_type", "days"),
                "nextcall": vals.pop("nextcall", False),
            }
            for vals in vals_list
        ]
        policies = super().create(vals_list)
        for policy, schedule in zip(policies, schedules, strict=True):
            policy.cron_id = self.env["ir.cron"].sudo().create(policy._cron_values(schedule))
        return policies

    def _cron_values(self, schedule):
        return {
            "name": _("Backup: %s", self.name),
            "model_id": self.env["ir.model"]._get_id(self._name),
            "state": "code",
            "code": f"model.browse({self.id})._run_scheduled()",
            "user_id": self.env.ref("base.user_root").id,
            "numbercall": -1,
            "doall": False,  # one backup after downtime, not one per missed interval
            "active": self.active,
            **{name: value for name, value in schedule.items() if value},
        }

    def write(self, vals):
        self._check_schedule(vals)
        result = super().write(vals)
        if "name" in vals or "active" in vals:
            for policy in self.filtered("cron_id"):
                policy.cron_id.sudo().write(
                    {"name": _("Backup: %s", policy.name), "active": policy.active}
                )
        return result

    def unlink(self):
        crons = self.cron_id
        result = super().unlink()
        crons.sudo().unlink()
        return result

    def _register_hook(self):
        result = super()._register_hook()
        self._disable_if_copied()
        return result

    def _disable_if_copied(self):
        """A database restored or duplicated under another name must not write
        into the original's backup space, nor apply its retention there."""
        params = self.env["ir.config_parameter"].sudo()
        dbname = self.env.cr.dbname
        if params.get_param(DATABASE_PARAM) == dbname:
            return
        # one process decides, even when several load the registry at once
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_LOCK])
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s", [DATABASE_PARAM]
        )
        original = (self.env.cr.fetchone() or [None])[0]
        if original == dbname:
            return
        if original:
            self._disable_after_restore(original)
        else:  # just installed
            params.set_param(DATABASE_PARAM, dbname)

    @api.model
    def _disable_after_restore(self, original):
        """Archive every policy (and its scheduled action) of a restored copy."""
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_PARAM, self.env.cr.dbname)
        policies = self.sudo().search([("active", "=", True)])
        if not policies:
            return
        _logger.warning(
            "Database %s is a copy of %s: its %d backup policies are disabled; enable them "
            "again only if this database replaces the original.",
            self.env.cr.dbname,
            original,
            len(policies),
        )
        policies.write({"active": False})
        for policy in policies:
            policy.message_post(
                body=_(
                    "Disabled: this database is a restored copy of %s. Enable the policy "
                    "again only if this database replaces the original.",
                    original,
                )
            )

    # -- making backups -----------------------------------------------------------------

    def action_backup_now(self):
        self.ensure_one()
        if not self.active:
            raise UserError(_("The policy is archived."))
        self.cron_id._trigger()
        return self._notification(
            _("Backup scheduled"),
            _("The backup runs in the background; its result will show on this policy."),
            "info",
        )

    def _run_scheduled(self):
        """Entry point of the scheduled action: failures are recorded and
        alerted, never raised (the cron must commit them)."""
        for policy in self.filtered("active"):
            policy._run_backup()

    def _run_backup(self, now=None):
        """Make one backup, then apply the retention; True on success.

        ``now`` (naive UTC) dates the backup: tests simulate dates with it,
        since storage clients sign their requests with the real clock.
        """
        self.ensure_one()
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [RUN_LOCK, self.id])
        if not self.env.cr.fetchone()[0]:
            _logger.warning("Backup policy %s is already running: skipped", self.name)
            return False
        now = now or fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                manifest = self._make_backup(now)
        except Exception as error:  # any failure is recorded and alerted
            self._record_failure(now, error)
            return False
        self._record_success(now, manifest)
        self._apply_retention()
        return True

    def _make_backup(self, now):
        backend = self.backend_id.sudo()
        # a hook: None here, filled in by storage_backup_object_store
        object_drivers = self._backup_object_drivers()  # pylint: disable=assignment-from-none
        settings = BackupSettings(
            dbname=self.env.cr.dbname,
            backup_format=self.backup_format,
            prefix=self._backup_prefix(),
            filestore=self.env["ir.attachment"]._filestore()
            if self.backup_format == "zip"
            else None,
            include_objects=object_drivers is not None,
            verify_read_back=self.verify_read_back,
            encrypted=bool(backend._effective_values().get("encrypt_files")),
            label=self.name,
            lock_mode=self.object_lock or None,
            lock_days=self.object_lock_days,
        )
        _logger.info("Backup policy %s: backing up %s", self.name, settings.dbname)
        with backend._storage_errors():
            return BackupRun(
                backend._get_driver(),
                settings,
                object_drivers=object_drivers,
                now=now,
            ).run()

    def _backup_prefix(self, dbname=None):
        """The folder of the backups of this database (or ``dbname``), ending
        with ``/`` (or empty)."""
        dbname = dbname or self.env.cr.dbname
        prefix = (self.prefix or "").replace("{db}", dbname).strip("/")
        return f"{prefix}/" if prefix else ""

    def _backup_object_drivers(self):
        """The attachment objects this policy saves beside the database:
        ``{backend code: [drivers to read them from, in turn]}``, or None when
        it saves none. Attachments on backends are ir_attachment_object_store's;
        the bridge addon storage_backup_object_store fills this in."""
        return None

    # -- results and alerts ---------------------------------------------------------------

    def _record_success(self, now, manifest):
        summary = self._summary(manifest)
        self.write(
            {
                "last_run_date": now,
                "last_state": "success",
                "last_error": False,
                "last_summary": summary,
                "last_success_date": now,
            }
        )
        _logger.info("Backup policy %s: %s", self.name, summary)
        missing = (manifest.get("objects") or {}).get("missing")
        if missing:
            self.message_post(
                body=_(
                    "%(count)s attachment objects referenced by the database were missing "
                    "on their backends and are not in backup %(name)s.",
                    count=missing,
                    name=manifest["files"]["backup"]["key"],
                )
            )
        self._open_alerts().action_feedback(feedback=_("A backup succeeded: %s", summary))

    def _summary(self, manifest):
        parts = [
            _(
                "%(size)s in %(seconds).1f s",
                size=human_size(manifest["size"]),
                seconds=manifest["duration_seconds"],
            )
        ]
        if manifest.get("filestore"):
            parts.append(_("%s filestore files", manifest["filestore"]["files"]))
        if manifest.get("objects"):
            parts.append(_("%s attachment objects", manifest["objects"]["count"]))
            if manifest["objects"]["missing"]:
                parts.append(_("%s objects missing", manifest["objects"]["missing"]))
        return ", ".join(parts)

    def _record_failure(self, now, error):
        message = _error_text(error)
        _logger.error("Backup policy %s failed: %s", self.name, message)
        self.write({"last_run_date": now, "last_state": "failed", "last_error": message})
        self._alert(_("Backup failed"), message)

    def _open_alerts(self):
        alert_type = self.env.ref("storage_backup.mail_activity_type_backup_alert")
        return self.activity_ids.filtered(lambda activity: activity.activity_type_id == alert_type)

    def _alert(self, summary, message):
        """Note the problem on the policy, and give its administrator an
        activity unless one is already open."""
        self.message_post(body=Markup("<p><b>%s</b></p><p>%s</p>") % (summary, message))
        if self._open_alerts():
            return
        user = self.alert_user_id
        if not (user.active and user.has_group("base.group_system")):
            user = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        self.activity_schedule(
            "storage_backup.mail_activity_type_backup_alert",
            summary=summary,
            note=escape(message),
            user_id=user.id,
        )

    @api.model
    def _cron_check_overdue(self):
        """Alert on active policies without a successful backup for two intervals
        (the server or its scheduler was down, or every run failed)."""
        now = fields.Datetime.now()
        for policy in self.search([("cron_id", "!=", False)]):
            if policy._open_alerts():
                continue  # already told
            interval = INTERVALS[policy.interval_type](policy.interval_number)
            deadline = min(now - interval - interval, now - timedelta(hours=1))
            since = policy.last_success_date or policy.create_date
            if since < deadline:
                policy._alert(
                    _("Backup overdue"),
                    _("No backup has succeeded since %s.", fields.Datetime.to_string(since)),
                )

    # -- retention ----------------------------------------------------------------------

    def _retention_counts(self):
        return {period: self[f"keep_{period}"] for period in PERIODS}

    def _list_backups(self):
        """``{stem: BackupEntry}`` of every backup in this policy's folder; with
        Object Lock, each complete backup's lock is read too (one HEAD each)."""
        backend = self.backend_id.sudo()
        prefix = self._backup_prefix()
        driver = backend._get_driver()
        with backend._storage_errors():
            entries = naming.group_backups(driver.scan(prefix), prefix)
            if self.object_lock:
                for entry in entries.values():
                    if entry.backup_format:  # its archive is there
                        entry.lock = driver.lock_state(entry.archive_key)
        return entries

    def _retention_plan(self, entries):
        """This database's backups in ``entries`` that the retention deletes:
        those the counts do not keep, and incomplete ones older than the newest
        backup. Those the bucket's Object Lock protects are not among them:
        they are marked ``retention_blocked``, which the backup list shows."""
        dbname = self.env.cr.dbname
        own = [entry for entry in entries.values() if entry.database == dbname]
        complete = [entry for entry in own if entry.complete]
        if not complete:
            return []
        keep = backups_to_keep([entry.created for entry in complete], self._retention_counts())
        newest = max(entry.created for entry in complete)
        doomed = [
            entry
            for entry in own
            if (entry.complete and entry.created not in keep)
            or (not entry.complete and entry.created < newest)
        ]
        for entry in doomed:
            entry.retention_blocked = bool(entry.lock and entry.lock.protects())
        return [entry for entry in doomed if not entry.retention_blocked]

    def _apply_retention(self):
        """Delete the backups of :meth:`_retention_plan`; failures are alerted."""
        try:
            entries = self._list_backups()
            doomed = self._retention_plan(entries)
            blocked = [entry for entry in entries.values() if entry.retention_blocked]
            if blocked:
                _logger.info(
                    "Backup policy %s: retention keeps %s: locked (%s)",
                    self.name,
                    ", ".join(entry.stem for entry in blocked),
                    ", ".join(entry.lock_label() for entry in blocked),
                )
                self.last_summary = _(
                    "%(summary)s; older backups kept by their Object Lock: %(count)s",
                    summary=self.last_summary,
                    count=len(blocked),
                )
            driver = self.backend_id.sudo()._get_driver()
            with self.backend_id._storage_errors():
                for entry in doomed:
                    # the manifest first: a half-deleted backup shows as incomplete
                    for key in sorted(entry.keys, key=lambda key: not key.endswith("json")):
                        driver.delete(key)
                    del entries[entry.stem]
            if doomed:
                _logger.info(
                    "Backup policy %s: retention deleted %s",
                    self.name,
                    ", ".join(entry.stem for entry in doomed),
                )
        except (StorageError, UserError) as error:
            self._alert(_("Backup retention failed"), _error_text(error))
            return
        self.env["storage.backup"]._sync(self, entries)

    # -- listing ------------------------------------------------------------------------

    def action_refresh_backups(self):
        for policy in self:
            entries = policy._list_backups()
            policy._retention_plan(entries)  # marks what a lock keeps from the retention
            self.env["storage.backup"]._sync(policy, entries)
        return True

    def action_view_backups(self):
        self.ensure_one()
        self.action_refresh_backups()
        action = self.env["ir.actions.actions"]._for_xml_id("storage_backup.storage_backup_action")
        action["domain"] = [("policy_id", "=", self.id)]
        action["context"] = {"default_policy_id": self.id}
        return action

    @api.model
    def _notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False},
        }


def _error_text(error):
    """What an administrator reads about ``error`` (drivers redact secrets)."""
    if isinstance(error, UserError):
        return error.args[0]
    return str(error) or type(error).__name__
