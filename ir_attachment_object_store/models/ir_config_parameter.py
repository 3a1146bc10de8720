# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

from odoo import _, api, models
from odoo.exceptions import ValidationError

from ..tools.detection import CATALYST_PARAM, SourceDetection
from ..tools.parameters import KEEP_IN_DB_PARAM, LOCATION_PARAM

_logger = logging.getLogger(__name__)


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._object_store_follow_catalyst()
        return records

    def write(self, vals):
        result = super().write(vals)
        self._object_store_follow_catalyst()
        return result

    def _object_store_follow_catalyst(self):
        """Catalyst's JSON parameter configures backend ``openstack``, as it documents."""
        if any(param.key == CATALYST_PARAM and param.value for param in self):
            for line in SourceDetection(self.env)._catalyst_only():
                _logger.info("%s", line)

    @api.constrains("key", "value")
    def _check_object_store_parameters(self):
        for param in self:
            if param.key == LOCATION_PARAM:
                param._check_attachment_location(param.value)
            elif param.key == KEEP_IN_DB_PARAM:
                param._check_keep_in_db_rules(param.value)

    def _check_attachment_location(self, location):
        if location in ("file", "db"):
            return
        backends = self.env["storage.backend"].sudo().with_context(active_test=False)
        if not backends.search_count([("code", "=", location)]):
            codes = backends.search([], limit=20).mapped("code")
            raise ValidationError(
                _(
                    "The attachment location must be 'file', 'db' or the code of a storage "
                    "backend (%(codes)s), not %(location)r.",
                    codes=", ".join(codes) or _("none defined"),
                    location=location,
                )
            )

    def _check_keep_in_db_rules(self, value):
        try:
            rules = json.loads(value)
            valid = isinstance(rules, dict) and all(
                isinstance(prefix, str) and isinstance(size, int) and size >= 0
                for prefix, size in rules.items()
            )
        except ValueError:
            valid = False
        if not valid:
            raise ValidationError(
                _(
                    "%(key)s must be a JSON object of mimetype prefixes and sizes in bytes "
                    '(0: any size), e.g. {"image/": 51200, "text/css": 0}, not %(value)r.',
                    key=KEEP_IN_DB_PARAM,
                    value=value,
                )
            )
