# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unicodedata
from urllib.parse import quote

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.http import Response, request
from odoo.tools import str2bool

from storage_drivers.streams import DEFAULT_CHUNK_SIZE


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
        if storage_file._is_public():
            target = storage_file.sudo()._direct_url()
        else:
            target = storage_file.backend_id.sudo()._file_temporary_url(
                storage_file.sudo().relative_path
            )
        if target:
            response = request.redirect(target, code=302, local=False)
            response.headers["Cache-Control"] = "no-store"  # the URL may expire
            return response
        return self._stream(
            storage_file.sudo(), str2bool(download or "0"), storage_file._is_public()
        )

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
