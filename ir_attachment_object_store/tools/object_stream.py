# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Serve remote attachments over HTTP without holding them in memory."""

from odoo.http import Response, Stream, request
from odoo.tools._vendor.send_file import send_file as _send_file

from odoo.addons.storage_backend.storage_drivers.streams import ReadStream


class _LazyReader(ReadStream):
    """Opens the object on first read: a 304 answer never fetches it."""

    def __init__(self, opener):
        super().__init__()
        self._opener = opener
        self._stream = None

    def read(self, size=-1):  # pylint: disable=method-required-super
        if self._stream is None:
            self._stream = self._opener()
        return self._stream.read(size)

    def close(self):
        if self._stream is not None:
            self._stream.close()
        return super().close()


class ObjectStream(Stream):
    """A :class:`~odoo.http.Stream` of an attachment stored on a backend.

    It is a ``data`` stream so that core code resizing images or sniffing
    mimetypes keeps working: ``data`` is read from the backend only when such
    code asks for it. Otherwise :meth:`get_response` streams the object in
    chunks, or redirects to a short-lived direct URL when the backend allows.
    """

    type = "data"

    def __init__(self, attachment, code, key, **kwargs):
        super().__init__(**kwargs)
        self._attachment = attachment
        self._code = code
        self._key = key
        self._data = None

    @classmethod
    def from_attachment(cls, attachment, code, key):
        return cls(
            attachment,
            code,
            key,
            mimetype=attachment.mimetype,
            download_name=attachment.name,
            conditional=True,
            etag=attachment.checksum,
            last_modified=attachment.write_date,
            size=attachment.file_size,
        )

    @property
    def data(self):
        if self._data is None:
            with self._open() as stream:
                self._data = stream.read()
        return self._data

    @data.setter
    def data(self, value):
        self._data = value

    def _open(self):
        return self._attachment._object_store_open(self._code, self._key)

    def _redirect_url(self):
        backend = self._attachment._object_store_backend(self._code)
        if not backend or not backend.attachment_redirect:
            return None
        return backend._attachment_driver().url(self._key, backend.attachment_redirect_expiry)

    def get_response(self, as_attachment=None, immutable=None, **send_file_kwargs):
        if self._data is not None:  # already in memory (e.g. a resized image)
            return super().get_response(as_attachment, immutable, **send_file_kwargs)
        url = self._redirect_url()
        if url:
            response = request.redirect(url, code=302, local=False)
            response.headers["Cache-Control"] = "no-store"
            return response
        if as_attachment is None:
            as_attachment = self.as_attachment
        response = _send_file(
            _LazyReader(self._open),
            request.httprequest.environ,
            mimetype=self.mimetype,
            as_attachment=as_attachment,
            download_name=self.download_name,
            conditional=self.conditional,
            etag=self.etag,
            last_modified=self.last_modified,
            max_age=self.max_age,
            response_class=Response,
            **send_file_kwargs,
        )
        if response.status_code == 200 and self.size is not None:
            response.content_length = self.size
        return response
