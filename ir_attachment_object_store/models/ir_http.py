# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.http import request

from ..tools.object_stream import ObjectStream


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _serve_fallback(cls):
        attachment = (
            request.env["ir.attachment"].sudo()._get_serve_attachment(request.httprequest.path)
        )
        source = attachment and attachment._object_store_stream_source()
        if source:
            return ObjectStream.from_attachment(attachment, *source).get_response()
        return super()._serve_fallback()
