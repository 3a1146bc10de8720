# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
import shutil
import uuid

from odoo.tests.common import TransactionCase
from odoo.tools import config


class StorageBackendCase(TransactionCase):
    """Creates backends in a private directory removed after each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = f"test-{uuid.uuid4().hex[:12]}"
        cls.addClassCleanup(
            shutil.rmtree,
            os.path.join(config["data_dir"], "storage", cls.env.cr.dbname, cls.folder),
            ignore_errors=True,
        )

    def new_backend(self, **values):
        values = {
            "name": "Test backend",
            "code": f"t{uuid.uuid4().hex[:10]}",
            "backend_type": "filesystem",
            "directory_path": f"{self.folder}/{uuid.uuid4().hex[:8]}",
            **values,
        }
        return self.env["storage.backend"].create(values)

    def root_of(self, backend):
        return os.path.join(
            config["data_dir"], "storage", self.env.cr.dbname, backend.directory_path
        )
