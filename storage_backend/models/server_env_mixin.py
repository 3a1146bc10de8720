# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Let any configuration field come from the server instead of the database.

A record whose key is ``mykey`` takes field ``foo`` from, by priority:

1. the environment variable ``<PREFIX>_MYKEY_FOO``;
2. the Odoo configuration file, option ``foo`` of section ``[<prefix>.mykey]``;
3. the database.

Overridden fields show their server value, read-only, in every view; secret
ones are masked and never leave the server.
"""

import os

from lxml import etree

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

SECRET_MASK = "********"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
OVERRIDABLE_TYPES = {"char", "text", "selection", "integer", "float", "boolean"}


class StorageServerEnvMixin(models.AbstractModel):
    _name = "storage.server.env.mixin"
    _description = "Fields overridable from the server configuration"

    #: section prefix in the configuration file and environment
    _server_env_prefix = "storage_backend"
    #: fields never taken from the server
    _server_env_exclude = ("name", "code", "active")

    server_env_fields = fields.Char(
        compute="_compute_server_env_fields",
        help="Fields whose value is set in the server configuration.",
    )

    def _server_env_key(self):
        """The identifier of this record in section and variable names."""
        raise NotImplementedError()

    def _server_env_secret_fields(self):
        """Names of fields whose value must never reach a browser."""
        return set()

    @api.model
    def _server_env_field_names(self):
        # fields change only when modules load: recomputed when the names differ
        names = tuple(self._fields)
        cache = type(self).__dict__.get("_server_env_field_names_cache")
        if cache is None or cache[0] != names:
            cache = (names, self._server_env_compute_field_names())
            type(self)._server_env_field_names_cache = cache
        return cache[1]

    @api.model
    def _server_env_compute_field_names(self):
        return [
            name
            for name, field in self._fields.items()
            if field.store
            and not field.compute
            and not field.readonly
            and field.type in OVERRIDABLE_TYPES
            and name not in self._server_env_exclude
            and name not in models.MAGIC_COLUMNS
        ]

    def _server_env_raw(self):
        """``{field: text}`` set on the server for this record."""
        self.ensure_one()
        key = self._server_env_key()
        if not key:
            return {}
        section = config.misc.get(f"{self._server_env_prefix}.{key}", {})
        env_prefix = f"{self._server_env_prefix}_{key}_".upper()
        raw = {}
        for name in self._server_env_field_names():
            if name in section:
                raw[name] = section[name]
            if env_prefix + name.upper() in os.environ:
                raw[name] = os.environ[env_prefix + name.upper()]
        return raw

    def _server_env_stamp(self):
        """The raw server settings of this record, cheap to compare."""
        self.ensure_one()
        key = self._server_env_key()
        section = config.misc.get(f"{self._server_env_prefix}.{key}", {})
        env_prefix = f"{self._server_env_prefix}_{key}_".upper()
        return (
            tuple(sorted(section.items())),
            tuple(sorted(item for item in os.environ.items() if item[0].startswith(env_prefix))),
        )

    def _server_env_values(self):
        """``{field: value}`` set on the server, converted to the field type."""
        return {
            name: self._server_env_convert(name, text)
            for name, text in self._server_env_raw().items()
        }

    def _server_env_convert(self, name, text):
        field = self._fields[name]
        text = text.strip() if field.type != "text" else text
        where = _(
            "server setting %(field)s of %(record)s", field=name, record=self._server_env_key()
        )
        if field.type == "boolean":
            if text.lower() not in TRUE_WORDS | FALSE_WORDS:
                raise UserError(_("%(where)s: %(value)r is not a boolean", where=where, value=text))
            return text.lower() in TRUE_WORDS
        try:
            if field.type == "integer":
                return int(text)
            if field.type == "float":
                return float(text)
        except ValueError as error:
            raise UserError(_("%(where)s: %(error)s", where=where, error=error)) from error
        if field.type == "selection":
            allowed = [key for key, __ in field._description_selection(self.env)]
            if text not in allowed:
                raise UserError(
                    _(
                        "%(where)s: %(value)r is not one of %(allowed)s",
                        where=where,
                        value=text,
                        allowed=", ".join(allowed),
                    )
                )
        return text or False

    def _effective_values(self):
        """Every overridable field's value as the server will use it."""
        self.ensure_one()
        values = {name: self[name] for name in self._server_env_field_names()}
        values.update(self._server_env_values())
        return values

    @api.depends_context("uid")
    def _compute_server_env_fields(self):
        for record in self:
            names = sorted(record._server_env_raw()) if record.id else []
            # padded so that views can test "' name ' in server_env_fields"
            record.server_env_fields = f" {' '.join(names)} " if names else False

    def read(self, fields=None, load="_classic_read"):
        result = super().read(fields, load)
        secrets = self._server_env_secret_fields()
        by_id = {record.id: record for record in self}
        for values in result:
            record = by_id.get(values["id"])
            if not record:  # e.g. a new record in an onchange
                continue
            for name, text in record._server_env_raw().items():
                if name in values:
                    values[name] = (
                        SECRET_MASK if name in secrets else record._server_env_convert(name, text)
                    )
        return result

    def write(self, vals):
        for record in self:
            locked = set(vals) & set(record._server_env_raw())
            # the form sends unchanged read-only values back as they were shown
            locked = {name for name in locked if vals[name] != record.read([name])[0][name]}
            if locked:
                raise UserError(
                    _(
                        "%(fields)s of %(record)s are set in the server configuration "
                        "and cannot be changed here.",
                        fields=", ".join(sorted(locked)),
                        record=record.display_name,
                    )
                )
        return super().write(vals)

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            overridable = set(self._server_env_field_names())
            for node in arch.xpath("//field[not(ancestor::field)]"):
                name = node.get("name")
                if name in overridable:
                    locked = f"' {name} ' in (server_env_fields or '')"
                    current = node.get("readonly")
                    node.set("readonly", f"({current}) or {locked}" if current else locked)
            if not arch.xpath("//field[@name='server_env_fields'][not(ancestor::field)]"):
                sheet = arch.xpath("//sheet") or [arch]
                etree.SubElement(sheet[0], "field", name="server_env_fields", invisible="1")
        return arch, view
