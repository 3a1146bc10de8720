"""Fixtures shared by the driver tests: real servers on 127.0.0.1."""

import os

import pytest

from harness.ftp import FTPServer


@pytest.fixture(scope="session")
def ftp_server():
    server = FTPServer().start()
    yield server
    server.stop()


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
