# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import unicodedata
from urllib.parse import quote

from werkzeug.exceptions import RequestedRangeNotSatisfiable, ServiceUnavailable
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.exceptions import UserError
from odoo.http import Response, request
from odoo.tools import str2bool

from storage_drivers import ObjectNotFound
from storage_drivers.streams import DEFAULT_CHUNK_SIZE

_logger = logging.getLogger(__name__)


def content_disposition(name, as_attachment):
    """Header value and parameters, with an ASCII fallback for other names (RFC 6266)."""
    kind = "attachment" if as_attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return kind, {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='')}"}
    return kind, {"filename": name}


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
            return self._stream(storage_file, str2bool(download or "0"), public)
        except ObjectNotFound as error:
            _logger.warning("Storage file %s has lost its object: %s", storage_file.id, error)
            raise request.not_found() from error
        except UserError as error:  # the backend is down or misconfigured
            _logger.warning("Storage file %s cannot be served: %s", storage_file.id, error)
            raise ServiceUnavailable() from error

    def _stream(self, storage_file, as_attachment, public):
        """Stream the object chunk by chunk; memory stays bounded whatever its size."""
        environ = request.httprequest.environ
        if request.httprequest.if_none_match.contains(storage_file.checksum):
            response = Response(status=304)  # don't open the object for nothing
        else:
            reader = storage_file._open_content()
            response = Response(
                wrap_file(environ, reader, DEFAULT_CHUNK_SIZE),
                mimetype=storage_file.mimetype,
                direct_passthrough=True,
            )
            response.content_length = storage_file.file_size
            kind, names = content_disposition(storage_file.name, as_attachment)
            response.headers.set("Content-Disposition", kind, **names)
            response.last_modified = storage_file.write_date
        response.set_etag(storage_file.checksum)
        response.cache_control.no_cache = True
        response.cache_control.public = public or None
        response.cache_control.private = not public or None
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        try:
            return response.make_conditional(
                environ, accept_ranges=True, complete_length=storage_file.file_size
            )
        except RequestedRangeNotSatisfiable:
            response.close()
            raise
