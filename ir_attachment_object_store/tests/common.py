# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import json
import os
import shutil
import unittest
import uuid

from odoo.modules.registry import Registry
from odoo.tests.common import TransactionCase, get_db_name
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

    def server_setting(self, field, value):
        """An environment variable overriding ``field`` of the test backend."""
        return {f"STORAGE_BACKEND_{self.backend.code.upper()}_{field.upper()}": value}

    def broken_backend_settings(self):
        """Server settings under which every upload to the backend fails."""
        unwritable = "/sys/not-writable" if os.geteuid() == 0 else "/proc/1/not-writable"
        return self.server_setting("directory_path", unwritable)

    @property
    def driver(self):
        return self.backend._attachment_driver()

    def create_attachment(self, data, mimetype="application/pdf", **values):
        return self.Attachment.create({"name": "file", "raw": data, "mimetype": mimetype, **values})

    @staticmethod
    def unique_data(size=1000):
        """Content no other test stores (attachments share identical content).

        It starts with a NUL byte, so that no mimetype sniffing ever takes it
        for XML or an image (a random first byte ``<`` did, once in 256 runs).
        """
        seed = b"\0" + uuid.uuid4().bytes
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


class PrivateServerBackend:
    """Mixin: the backend lives on a server of the test class's own, which
    tests may stop. An FTP server here; the S3 and Swift mixins give theirs
    through ``start_private_server``."""

    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_private_server()
        cls.addClassCleanup(cls.server.stop)
        super().setUpClass()

    @classmethod
    def start_private_server(cls):
        from harness.ftp import FTPServer

        return FTPServer().start()

    @classmethod
    def backend_values(cls):
        return {"backend_type": "fs_url", "fs_url": cls.server.url + uuid.uuid4().hex}


def shared_server(name, server_class):
    """Settings of the server shared by the test command, else of a private one.

    ``name`` is the ``STORAGE_TEST_<NAME>`` variable the harness sets; a
    private server is stopped when the test class ends.
    """
    settings = os.environ.get(f"STORAGE_TEST_{name}")
    if settings:
        return json.loads(settings), None
    server = server_class().start()
    return server_settings(server), server


def server_settings(server):
    return server.env() if hasattr(server, "env") else server.settings()


def require_backend_type(backend_type, module):
    """Skip a test class when the addon giving ``backend_type`` is not installed."""
    field = Registry(get_db_name())["storage.backend"]._fields["backend_type"]
    if backend_type not in dict(field.selection):
        raise unittest.SkipTest(f"{module} is not installed")


class SwiftBackend:
    """Mixin: run a test class on the real Swift of the test command.

    Fault tests get a private server of their own (``start_private_server``).
    """

    @classmethod
    def setUpClass(cls):
        from harness.swift import SwiftServer

        require_backend_type("swift", "storage_backend_swift")
        cls.swift, server = shared_server("SWIFT", SwiftServer)
        if server:
            cls.addClassCleanup(server.stop)
        super().setUpClass()

    @classmethod
    def start_private_server(cls):
        from harness.swift import SwiftServer

        server = SwiftServer().start()
        cls.swift = server.env()
        return server

    def broken_backend_settings(self):
        return self.server_setting("swift_auth_url", "http://127.0.0.1:9/auth/v1.0")

    @classmethod
    def backend_values(cls):
        return {
            "backend_type": "swift",
            "swift_auth_version": "1",
            "swift_auth_url": cls.swift["auth_url"],
            "swift_user": cls.swift["user"],
            "swift_key": cls.swift["key"],
            "swift_container_prefix": f"att{uuid.uuid4().hex[:8]}",
            "swift_temp_url_key": uuid.uuid4().hex,
        }


class S3Backend:
    """Mixin: run a test class on the real S3 (SeaweedFS) of the test command.

    Fault tests get a private server of their own (``start_private_server``).
    """

    @classmethod
    def setUpClass(cls):
        from harness.seaweedfs import SeaweedFS

        require_backend_type("s3", "storage_backend_s3")
        cls.s3, server = shared_server("S3", SeaweedFS)
        if server:
            cls.addClassCleanup(server.stop)
        super().setUpClass()

    @classmethod
    def start_private_server(cls):
        from harness.seaweedfs import SeaweedFS

        server = SeaweedFS().start()
        cls.s3 = server.settings()
        return server

    def broken_backend_settings(self):
        return self.server_setting("aws_host", "http://127.0.0.1:9")

    @classmethod
    def backend_values(cls):
        return {
            "backend_type": "s3",
            "aws_host": cls.s3["endpoint_url"],
            "aws_region": cls.s3["region"],
            "aws_access_key_id": cls.s3["access_key"],
            "aws_secret_access_key": cls.s3["secret_key"],
            "aws_bucket": f"att-{uuid.uuid4().hex[:12]}",
            "aws_create_bucket": True,
            "aws_connect_timeout": 1,
        }
