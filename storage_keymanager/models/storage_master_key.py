# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Master keys come from the server, never from or into the database.

``odoo.conf``::

    [storage_keymanager]
    master_keys = 2024-01:<base64 of 32 random bytes>
                  2025-06:<...>
    current_master_key = 2025-06

or the environment (which wins): ``STORAGE_KEYMANAGER_MASTER_KEYS``,
``STORAGE_KEYMANAGER_CURRENT_MASTER_KEY``. ``key_provider`` (default
``local``) selects ``_build_provider_<name>``, so an addon can plug in an
external key service.
"""

import hashlib
import os
import threading

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from odoo.addons.storage_backend.storage_drivers import ConfigError
from odoo.addons.storage_backend.storage_drivers.master_keys import LocalMasterKeys

SECTION = "storage_keymanager"
SETTINGS = ("key_provider", "master_keys", "current_master_key")

# The provider built from the current settings; rebuilt when they change.
# Key material lives only here, in process memory.
_provider_cache = {}
_provider_lock = threading.Lock()


class StorageMasterKey(models.Model):
    """Read-only list of the configured master key ids (never the material)."""

    _name = "storage.master.key"
    _description = "Storage Master Key"
    _auto = False
    _order = "sequence"

    name = fields.Char(string="Key id", readonly=True)
    sequence = fields.Integer(readonly=True)
    is_current = fields.Boolean(
        string="Current", readonly=True, help="New files are encrypted with this key."
    )
    provider = fields.Char(readonly=True)

    @property
    def _table_query(self):
        provider = self._get_provider()
        key_ids = provider.key_ids() if provider else []
        if not key_ids:
            return (
                "SELECT NULL::int AS id, NULL::int AS sequence, NULL::varchar AS name, "
                "NULL::bool AS is_current, NULL::varchar AS provider WHERE false"
            )
        rows = ", ".join(
            self.env.cr.mogrify(
                "(%s, %s, %s::varchar, %s, %s::varchar)",
                (index, index, key_id, key_id == provider.current_key_id, provider.name),
            ).decode()
            for index, key_id in enumerate(key_ids, 1)
        )
        return f"SELECT * FROM (VALUES {rows}) AS keys(id, sequence, name, is_current, provider)"

    # -- the provider ----------------------------------------------------------

    @api.model
    def _key_settings(self):
        """Settings from the configuration file, overridden by the environment."""
        section = config.misc.get(SECTION, {})
        settings = {name: section[name] for name in SETTINGS if section.get(name)}
        for name in SETTINGS:
            variable = f"{SECTION}_{name}".upper()
            if os.environ.get(variable):
                settings[name] = os.environ[variable]
        return settings

    @api.model
    def _get_provider(self):
        """The :class:`MasterKeyProvider`, or ``None`` when no key is configured."""
        settings = self._key_settings()
        fingerprint = hashlib.sha256(repr(sorted(settings.items())).encode()).digest()
        with _provider_lock:
            if fingerprint in _provider_cache:
                return _provider_cache[fingerprint]
        name = settings.get("key_provider") or "local"
        builder = getattr(self, f"_build_provider_{name}", None)
        if builder is None:
            raise UserError(_("Unknown master key provider %r.", name))
        try:
            provider = builder(settings)
        except ConfigError as error:
            # the message names key ids, never key material
            raise UserError(_("Master key configuration: %s", error)) from error
        with _provider_lock:
            _provider_cache.clear()  # forget replaced keys
            _provider_cache[fingerprint] = provider
        return provider

    @api.model
    def _build_provider_local(self, settings):
        if not (settings.get("master_keys") or "").strip():
            return None
        return LocalMasterKeys.from_text(
            settings["master_keys"], current=settings.get("current_master_key")
        )
