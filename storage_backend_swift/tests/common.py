# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import os
import uuid

from swiftclient import client as swiftclient

from odoo.addons.storage_backend.tests.common import StorageBackendCase


class SwiftBackendCase(StorageBackendCase):
    """Backends on the Swift shared by the test command, or on a private one.

    Subclasses run the same tests on another server by overriding
    :meth:`server_settings` (see ``test_on_ceph``).
    """

    @classmethod
    def server_settings(cls):
        """auth_url, user, key (v1 authentication) of the Swift to test on."""
        if os.environ.get("STORAGE_TEST_SWIFT"):
            return json.loads(os.environ["STORAGE_TEST_SWIFT"])
        from harness.swift import SwiftServer

        server = SwiftServer().start()
        cls.addClassCleanup(server.stop)
        return server.env()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.swift = cls.server_settings()
        cls.prefix = f"T{uuid.uuid4().hex[:8]}"

    def new_swift_backend(self, **values):
        return self.new_backend(
            **{
                "backend_type": "swift",
                "swift_auth_version": "1",
                "swift_auth_url": self.swift["auth_url"],
                "swift_user": self.swift["user"],
                "swift_key": self.swift["key"],
                "swift_container_prefix": self.prefix,
                **values,
            }
        )

    def container_of(self, backend):
        return f"{self.prefix}-{self.env.cr.dbname}".lower()

    def raw_objects(self, container):
        """Names in ``container``, read with swiftclient, not through the backend."""
        url, token = swiftclient.get_auth_1_0(
            self.swift["auth_url"], self.swift["user"], self.swift["key"]
        )
        return [item["name"] for item in swiftclient.get_container(url, token, container)[1]]
