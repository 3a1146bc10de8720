# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib

from odoo.addons.storage_backend.storage_drivers.streams import ReadStream


class HashingReader(ReadStream):
    """Pass a stream through, counting its bytes and computing their sha1.

    The sha1 is what ``ir.attachment.checksum`` holds, so a transfer can prove
    that it sent exactly the bytes the attachment describes.
    """

    def __init__(self, stream):
        super().__init__()
        self._stream = stream
        self._sha1 = hashlib.sha1()
        self.count = 0

    def read(self, size=-1):  # pylint: disable=method-required-super
        data = self._stream.read(size)
        self._sha1.update(data)
        self.count += len(data)
        return data

    @property
    def checksum(self):
        return self._sha1.hexdigest()
