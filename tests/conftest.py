"""Fixtures shared by the driver tests: real servers on 127.0.0.1."""

import json
import os

import pytest

from harness import drivers
from harness.ftp import FTPServer
from harness.swift import SwiftServer

drivers.load()  # the tests import the driver layer as ``storage_drivers``


@pytest.fixture(scope="session")
def ftp_server():
    server = FTPServer().start()
    yield server
    server.stop()


def ceph_settings(api):
    """One API's settings of the test command's Ceph (else a private one); skips without Ceph."""
    from harness import ceph

    settings = ceph.shared_settings()
    if settings is None:
        pytest.skip(ceph.skip_reason())
    return settings[api]


@pytest.fixture(scope="session")
def saio_service():
    """How to reach a Swift SAIO: the shared one (``STORAGE_TEST_SWIFT``) or a private one."""
    if os.environ.get("STORAGE_TEST_SWIFT"):
        yield json.loads(os.environ["STORAGE_TEST_SWIFT"])
        return
    server = SwiftServer().start()
    yield server.env()
    server.stop()


@pytest.fixture(scope="session", params=["saio", "ceph-rgw"])
def swift_service(request):
    """Every Swift the drivers are tested on: OpenStack Swift, and Ceph's gateway."""
    if request.param == "saio":
        return request.getfixturevalue("saio_service")
    return ceph_settings("swift")


@pytest.fixture
def unwritable_dir(tmp_path):
    """A directory path the current user cannot create or write into.

    Root ignores permission bits, so for root it lives under /sys, where
    even root may not create entries.
    """
    if os.geteuid() == 0:
        return "/sys/storage-drivers-test"
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return str(locked / "store")


@pytest.fixture(scope="session")
def seaweedfs_settings():
    """endpoint_url, access_key, secret_key, region of a real SeaweedFS."""
    from harness.seaweedfs import shared_settings

    return shared_settings()


@pytest.fixture(scope="session", params=["seaweedfs", "ceph-rgw"])
def s3_settings(request):
    """The same for every S3 server the drivers are tested on: SeaweedFS, Ceph's gateway."""
    if request.param == "seaweedfs":
        return request.getfixturevalue("seaweedfs_settings")
    return ceph_settings("s3")
