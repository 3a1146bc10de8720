# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Swift backend's tests again, on Ceph's RADOS Gateway and its own Swift
authentication (the test command's Ceph, else a private one).

The base classes are reached through their modules, so that the test
loader does not collect them a second time from this module.
"""

import unittest

from . import test_swift_backend, test_swift_connection


class OnCeph:
    @classmethod
    def server_settings(cls):
        from harness import ceph

        settings = ceph.shared_settings()
        if settings is None:
            raise unittest.SkipTest(ceph.skip_reason())
        return settings["swift"]


class TestSwiftBackendOnCeph(OnCeph, test_swift_backend.TestSwiftBackend):
    pass


class TestSwiftConnectionOnCeph(OnCeph, test_swift_connection.TestSwiftConnection):
    pass
