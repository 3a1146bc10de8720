# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from werkzeug.exceptions import ServiceUnavailable

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import str2bool

from odoo.addons.storage_backend.storage_drivers import ObjectNotFound

from ..http_stream import stream_response

_logger = logging.getLogger(__name__)


class StorageFileController(http.Controller):
    @http.route("/storage.file/<string:slug>", type="http", auth="public", methods=["GET"])
    def storage_file_content(self, slug, download=None, **kwargs):
        """Serve a file to whoever may read it: public files to anyone, private
        files after the access check, as 404 in every other case."""
        storage_file = request.env["storage.file"]._get_by_slug(slug)
        if not storage_file:
            raise request.not_found()
        public = storage_file._is_public()
        storage_file = storage_file.sudo()
        try:
            if public:
                target = storage_file._direct_url()
            else:
                target = storage_file.backend_id._file_temporary_url(storage_file.relative_path)
            if target:
                response = request.redirect(target, code=302, local=False)
                response.headers["Cache-Control"] = "no-store"  # the URL may expire
                return response
            return stream_response(storage_file, str2bool(download or "0"), public)
        except ObjectNotFound as error:
            _logger.warning("Storage file %s has lost its object: %s", storage_file.id, error)
            raise request.not_found() from error
        except UserError as error:  # the backend is down or misconfigured
            _logger.warning("Storage file %s cannot be served: %s", storage_file.id, error)
            raise ServiceUnavailable() from error
