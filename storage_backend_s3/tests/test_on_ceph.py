# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The S3 backend's tests again, on Ceph's RADOS Gateway (the test command's, else a private one).

The base classes are reached through their modules, so that the test
loader does not collect them a second time from this module.
"""

import unittest

from . import test_s3_backend, test_s3_config, test_s3_connection


class OnCeph:
    @classmethod
    def server_settings(cls):
        from harness import ceph

        settings = ceph.shared_settings()
        if settings is None:
            raise unittest.SkipTest(ceph.skip_reason())
        return settings["s3"]


class TestS3BackendOnCeph(OnCeph, test_s3_backend.TestS3Backend):
    pass


class TestS3ConfigOnCeph(OnCeph, test_s3_config.TestS3Config):
    pass


class TestS3ConnectionOnCeph(OnCeph, test_s3_connection.TestS3Connection):
    pass
