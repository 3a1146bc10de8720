# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import os
import shutil
import uuid

from odoo.tests.common import TransactionCase
from odoo.tools import config

from ..tools.object_keys import content_key


class ObjectStoreCase(TransactionCase):
    """Attachments stored on a backend made for the test class.

    Subclasses may override :meth:`backend_values` to run the same tests on
    other backend types.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = f"test-{uuid.uuid4().hex[:10]}"
        cls.addClassCleanup(
            shutil.rmtree,
            os.path.join(config["data_dir"], "storage", cls.env.cr.dbname, cls.folder),
            ignore_errors=True,
        )
        cls.backend = cls.env["storage.backend"].create(
            {"name": "Attachments", "code": f"att{uuid.uuid4().hex[:8]}", **cls.backend_values()}
        )
        cls.Attachment = cls.env["ir.attachment"]
        cls.use_location(cls.backend.code)

    @classmethod
    def backend_values(cls):
        return {"backend_type": "filesystem", "directory_path": cls.folder}

    @classmethod
    def use_location(cls, location):
        cls.env["ir.config_parameter"].set_param("ir_attachment.location", location)

    @property
    def driver(self):
        return self.backend._attachment_driver()

    def create_attachment(self, data, mimetype="application/pdf", **values):
        return self.Attachment.create({"name": "file", "raw": data, "mimetype": mimetype, **values})

    @staticmethod
    def unique_data(size=1000):
        """Content no other test stores (attachments share identical content)."""
        seed = uuid.uuid4().bytes
        return (seed * (size // len(seed) + 1))[:size]

    @staticmethod
    def key_of(data):
        return content_key(hashlib.sha1(data).hexdigest())

    def local_copy(self, data):
        """Write ``data`` to the local filestore where core would keep it."""
        path = self.Attachment._full_path(self.key_of(data))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        self.addCleanup(lambda: os.path.exists(path) and os.remove(path))
        return path
