# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.adoption import AttachmentAdoption
from ..tools.database_copy import DatabaseCopy
from ..tools.migration import AttachmentMigration, MigrationStopped
from ..tools.parameters import COPY_SOURCE_PARAM

_logger = logging.getLogger(__name__)


class IrAttachmentMigration(models.Model):
    """A move of attachment files, run in the background by a cron job.

    The cron works for a limited time, commits after every batch and
    triggers itself again until the move is complete, so a restart or a
    crash only delays it.
    """

    _name = "ir.attachment.migration"
    _description = "Attachment files migration"
    _order = "id desc"

    kind = fields.Selection(
        [
            ("move", "Move files"),
            ("adopt", "Adopt other addons' files"),
            ("copy", "Copy from the original database"),
        ],
        default="move",
        required=True,
        help="Adopting rewrites the files another object-storage addon stored (read where "
        "they are until then) to this suite's layout, on the chosen backend (default: the "
        "attachment location); their objects are copied, server-side where possible, and "
        "never deleted. Copies are made by themselves when this database is a copy of "
        "another one.",
    )
    target = fields.Selection(
        selection="_selection_target",
        string="Move files to",
        help="Small files that the keep-in-database rules name go to the database.",
    )
    source_dbname = fields.Char(string="Original database", readonly=True)
    copy_position = fields.Json(readonly=True, help="Last key copied, per backend.")
    workers = fields.Integer(default=4, help="Files transferred at the same time.")
    batch_size = fields.Integer(default=200, help="Attachments switched per transaction.")
    remove_local = fields.Boolean(
        string="Remove local copies",
        help="Delete filestore files once their move is committed.",
    )
    dry_run = fields.Boolean(help="Only count what would move.")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    total_count = fields.Integer(string="Files to move", readonly=True)
    total_bytes = fields.Float(string="Bytes to move", readonly=True, digits=(20, 0))
    done_count = fields.Integer(string="Files moved", readonly=True)
    done_bytes = fields.Float(string="Bytes moved", readonly=True, digits=(20, 0))
    failed_count = fields.Integer(string="Failures", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    summary = fields.Char(readonly=True)
    last_error = fields.Text(readonly=True)
    date_started = fields.Datetime(readonly=True)
    date_finished = fields.Datetime(readonly=True)

    @api.model
    def _selection_target(self):
        backends = self.env["storage.backend"].sudo().search([], limit=100)
        return [("file", _("Filestore")), ("db", _("Database"))] + [
            (backend.code, backend.display_name) for backend in backends
        ]

    @api.depends("done_count", "total_count", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            else:
                job.progress = 100.0 * job.done_count / job.total_count if job.total_count else 0.0

    @api.depends("kind", "target", "source_dbname")
    def _compute_display_name(self):
        for job in self:
            if job.kind == "copy":
                job.display_name = _("Copy attachments from %s", job.source_dbname)
            elif job.kind == "adopt":
                job.display_name = _("Adopt other addons' files to %s", job.target or "?")
            else:
                job.display_name = _("Move attachments to %s", job.target or "?")

    @api.constrains("kind", "target")
    def _check_target(self):
        # (an adoption goes to the attachment location by default)
        if any(job.kind == "move" and not job.target for job in self):
            raise UserError(_("Choose where to move the files."))
        if any(job.kind == "copy" and not job.source_dbname for job in self):
            raise UserError(_("Copies are made by themselves when a database is copied."))

    def action_start(self):
        for job in self:
            if job.state not in ("draft", "failed"):
                raise UserError(_("This migration is already %s.", job.state))
        self.write({"state": "queued", "last_error": False})
        self._trigger_cron()
        return True

    def _trigger_cron(self):
        self.env.ref("ir_attachment_object_store.ir_cron_attachment_migration")._trigger()

    @api.model
    def _cron_run(self, time_budget=240):
        """Work on the oldest pending migration for about ``time_budget`` seconds."""
        job = self.search([("state", "in", ("queued", "running"))], order="id", limit=1)
        if job:
            job._run(time.monotonic() + time_budget)

    def _engine(self, report, should_stop):
        if self.kind == "copy":
            return DatabaseCopy(
                self.env,
                self.source_dbname,
                workers=self.workers,
                report=report,
                should_stop=should_stop,
                position=self.copy_position or {},
            )
        engine = AttachmentAdoption if self.kind == "adopt" else AttachmentMigration
        return engine(
            self.env,
            self.target,
            workers=self.workers,
            batch_size=self.batch_size,
            dry_run=self.dry_run,
            remove_local=self.remove_local,
            report=report,
            should_stop=should_stop,
        )

    def _run(self, deadline):
        self.ensure_one()
        self.write({"state": "running", "date_started": self.date_started or fields.Datetime.now()})
        # commit so that the state shows while the batches run
        self.env.cr.commit()  # pylint: disable=invalid-commit
        # a copy resumes from its position; a move skips rows already moved
        before = (self.done_count, self.done_bytes, self.failed_count)

        def report(progress):
            if self.kind == "copy":
                self.copy_position = dict(migration.position)
            self.write(
                {
                    # a copy counts every object each run; a move only what is left
                    "total_count": progress.total_count + (0 if self.kind == "copy" else before[0]),
                    "total_bytes": progress.total_bytes + (0 if self.kind == "copy" else before[1]),
                    "done_count": before[0] + progress.done_count,
                    "done_bytes": before[1] + progress.done_bytes,
                    "failed_count": before[2] + progress.failed_count,
                    "summary": progress.summary(),
                }
            )

        migration = self._engine(report, should_stop=lambda: time.monotonic() > deadline)
        try:
            progress = migration.run()
        except (MigrationStopped, UserError) as error:
            self.env.cr.rollback()
            self.write(
                {
                    "state": "failed",
                    "last_error": str(error),
                    "date_finished": fields.Datetime.now(),
                }
            )
            return
        report(progress)
        if not progress.complete:
            self._trigger_cron()
            return
        if self.kind == "copy" and not progress.failed_count:
            self.env["ir.config_parameter"].sudo().set_param(COPY_SOURCE_PARAM, False)
            _logger.info(
                "attachment files of %s copied from %s: %s",
                self.env.cr.dbname,
                self.source_dbname,
                progress.summary(),
            )
        self.write(
            {
                "state": "failed" if progress.failed_count else "done",
                "last_error": "\n".join(progress.errors) or False,
                "date_finished": fields.Datetime.now(),
            }
        )
