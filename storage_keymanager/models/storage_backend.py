# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.storage_backend.storage_drivers.encryption import EncryptingDriver
from odoo.addons.storage_backend.storage_drivers.rewrap import rewrap_all

_logger = logging.getLogger(__name__)


class StorageBackend(models.Model):
    _inherit = "storage.backend"

    encrypt_files = fields.Boolean(
        help="Encrypt new files with the current master key (AES-256-GCM, one data key "
        "per file). Files already stored stay readable whether this is on or off.",
    )
    master_key_id = fields.Char(
        string="Current master key",
        compute="_compute_master_key_id",
        groups="base.group_system",
    )
    rewrap_requested = fields.Boolean(
        string="Re-wrap scheduled", readonly=True, copy=False, groups="base.group_system"
    )
    rewrap_date = fields.Datetime(
        string="Last re-wrap", readonly=True, copy=False, groups="base.group_system"
    )
    rewrap_summary = fields.Char(
        string="Last re-wrap result",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Objects found per master key before the last re-wrap, and its outcome.",
    )

    def _compute_master_key_id(self):
        provider = self.env["storage.master.key"]._get_provider()
        for backend in self:
            backend.master_key_id = provider.current_key_id if provider else False

    @api.constrains("encrypt_files")
    def _check_encrypt_files(self):
        if self.filtered("encrypt_files") and not self._key_provider():
            raise ValidationError(self._no_master_key_message())

    def _key_provider(self):
        return self.env["storage.master.key"]._get_provider()

    def _no_master_key_message(self):
        return _(
            "Encrypting files needs a master key: set master_keys in the "
            "[storage_keymanager] section of the server configuration file, or "
            "the STORAGE_KEYMANAGER_MASTER_KEYS environment variable."
        )

    # -- drivers ----------------------------------------------------------------

    def _driver_stamp(self, dbname):
        settings = self.env["storage.master.key"]._key_settings()
        return (*super()._driver_stamp(dbname), tuple(sorted(settings.items())))

    def _driver_values(self, dbname=None):
        values = super()._driver_values(dbname)
        provider = self._key_provider()
        # a new current key or a retired one builds a new driver
        values["master_keys"] = provider.fingerprint if provider else None
        return values

    def _build_driver(self, values):
        """Wrap every driver: encrypted objects are always decrypted, new ones
        encrypted only when the backend asks for it."""
        driver = super()._build_driver(values)
        provider = self._key_provider()
        if values.get("encrypt_files") and provider is None:
            raise UserError(self._no_master_key_message())
        return EncryptingDriver(driver, provider, encrypt=bool(values.get("encrypt_files")))

    # -- re-wrapping ------------------------------------------------------------

    def action_rewrap(self):
        """Schedule a re-wrap in the background (the cron logs its progress)."""
        if not self._key_provider():
            raise UserError(self._no_master_key_message())
        self.write({"rewrap_requested": True})
        self.env.ref("storage_keymanager.ir_cron_storage_rewrap")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Re-wrap scheduled"),
                "message": _(
                    "Data keys are re-wrapped under master key %s in the background; "
                    "progress is in the server log and the result on this form.",
                    self._key_provider().current_key_id,
                ),
                "type": "info",
            },
        }

    def _rewrap(self, prefix="", workers=4):
        """Re-wrap the data keys of every object under the current master key.

        Resumable: objects already under the current key are skipped.
        """
        self.ensure_one()
        driver = self._get_driver()
        _logger.info(
            "Storage backend %s: re-wrapping data keys under master key %r",
            self.code,
            driver.keys.current_key_id if driver.keys else None,
        )
        with self._storage_errors():
            report = rewrap_all(driver, prefix, workers=workers, logger=_logger)
        self.write(
            {
                "rewrap_requested": False,
                "rewrap_date": fields.Datetime.now(),
                "rewrap_summary": report.summary(),
            }
        )
        return report

    @api.model
    def _cron_rewrap(self):
        """One requested backend per run; triggers itself again while any remain."""
        pending = self.search([("rewrap_requested", "=", True)])
        if not pending:
            return
        pending[0]._rewrap()
        if len(pending) > 1:
            self.env.ref("storage_keymanager.ir_cron_storage_rewrap")._trigger()
