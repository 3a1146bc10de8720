# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""HTTP responses streaming a storage file from its backend in bounded memory."""

import unicodedata
from urllib.parse import quote

from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from odoo.http import Response, Stream, request

from odoo.addons.storage_backend.storage_drivers.streams import DEFAULT_CHUNK_SIZE


def content_disposition(name, as_attachment):
    """Header value and parameters, with an ASCII fallback for other names (RFC 6266)."""
    kind = "attachment" if as_attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return kind, {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='')}"}
    return kind, {"filename": name}


def stream_response(storage_file, as_attachment=False, public=False):
    """Stream the object chunk by chunk, with ETag, Range and a strict CSP.

    ``storage_file`` must be readable (sudo); access is the caller's business.
    """
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
    # stored HTML or SVG must not run scripts in Odoo's origin
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    try:
        return response.make_conditional(
            environ, accept_ranges=True, complete_length=storage_file.file_size
        )
    except RequestedRangeNotSatisfiable:
        response.close()
        raise


class StorageFileStream(Stream):
    """``/web/content`` of ``storage.file.data``: streamed, never loaded whole.

    A ``data`` stream, so that core code that wants the bytes (image resizing)
    still gets them, read from the backend only then.
    """

    type = "data"

    def __init__(self, storage_file, **kwargs):
        super().__init__(**kwargs)
        self._storage_file = storage_file
        self._data = None

    @classmethod
    def from_storage_file(cls, storage_file):
        return cls(
            storage_file.sudo(),
            mimetype=storage_file.mimetype,
            download_name=storage_file.name,
            etag=storage_file.checksum,
            last_modified=storage_file.write_date,
            size=storage_file.file_size,
        )

    @property
    def data(self):
        if self._data is None:
            with self._storage_file._open_content() as stream:
                self._data = stream.read()
        return self._data

    @data.setter
    def data(self, value):
        self._data = value

    def get_response(self, as_attachment=None, immutable=None, **send_file_kwargs):
        if self._data is not None:  # already in memory, e.g. a resized image
            return super().get_response(as_attachment, immutable, **send_file_kwargs)
        as_attachment = self.as_attachment if as_attachment is None else as_attachment
        return stream_response(self._storage_file, as_attachment)
