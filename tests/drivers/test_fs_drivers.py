"""Local disk, mem:// and a real FTP server through PyFilesystem2."""

import uuid

import pytest

from harness.ftp import FTPServer
from storage_drivers import (
    ConfigError,
    FSURLDriver,
    LocalDriver,
    StorageError,
    StorageUnavailable,
)
from storage_drivers.fs_driver import TEMP_PREFIX

from .contract import MIB, CountingReader, DriverContract, pattern


class TestLocalDriver(DriverContract):
    @pytest.fixture
    def driver(self, tmp_path):
        return LocalDriver(str(tmp_path / "store"), chunk_size=MIB)

    def test_keys_stay_under_the_root(self, driver, tmp_path):
        driver.put("inside/file", b"x")
        assert (tmp_path / "store" / "inside" / "file").read_bytes() == b"x"
        assert not any(path.name == "outside" for path in tmp_path.rglob("outside"))

    def test_temporary_files_are_not_listed(self, driver, tmp_path):
        driver.put("dir/real", b"x")
        (tmp_path / "store" / "dir" / f"{TEMP_PREFIX}leftover").write_bytes(b"partial")
        assert list(driver.list("")) == ["dir/real"]

    def test_delete_prunes_empty_directories(self, driver, tmp_path):
        driver.put("ab/cd/file", b"x")
        driver.delete("ab/cd/file")
        assert not (tmp_path / "store" / "ab").exists()
        assert (tmp_path / "store").is_dir()

    def test_reports_free_space(self, driver):
        assert driver.usage().bytes_free > 0


def test_local_root_must_be_absolute():
    with pytest.raises(ConfigError, match="absolute"):
        LocalDriver("relative/path")


def test_unwritable_directory_is_reported(unwritable_dir):
    driver = LocalDriver(unwritable_dir)
    result = driver.check()
    assert not result.ok
    assert unwritable_dir in result.message
    assert "not permitted" in result.message.lower() or "permission" in result.message.lower()
    with pytest.raises(StorageError, match="cannot create directory"):
        driver.put("key", b"x")


def test_unwritable_existing_directory(tmp_path):
    """An existing directory refusing writes fails the check with a reason."""
    import os

    if os.geteuid() == 0:
        root = "/sys/kernel"  # exists; even root cannot create files in it
    else:
        root = str(tmp_path / "ro")
        os.mkdir(root, 0o500)
    result = LocalDriver(root, create=False).check()
    assert not result.ok
    assert "permission denied" in result.message.lower()


class TestMemDriver(DriverContract):
    @pytest.fixture
    def driver(self):
        return FSURLDriver("mem://", chunk_size=MIB)


class TestFTPDriver(DriverContract):
    many_keys = 120  # FTP opens a data connection per file

    @pytest.fixture
    def driver(self, ftp_server):
        driver = FSURLDriver(f"{ftp_server.url}{uuid.uuid4().hex}", chunk_size=MIB, backoff=0.05)
        yield driver
        driver.close()

    def test_password_never_in_label_or_errors(self, ftp_server, driver):
        assert ftp_server.password not in driver.label
        assert ftp_server.password not in repr(driver)
        assert ftp_server.password not in driver.check().message


def test_unknown_fs_url_scheme():
    driver = FSURLDriver("nosuchfs://somewhere")
    with pytest.raises(ConfigError, match="nosuchfs"):
        driver.put("k", b"x")
    assert not driver.check().ok


def test_not_an_url():
    with pytest.raises(ConfigError):
        FSURLDriver("/just/a/path")


def test_ftp_server_down_is_unavailable():
    server = FTPServer().start()
    driver = FSURLDriver(server.url, backoff=0.01)
    driver.put("k", b"x")
    server.kill()
    with pytest.raises(StorageUnavailable, match="unreachable"):
        driver.get("k")
    result = driver.check()
    assert not result.ok and "unreachable" in result.message
    assert server.password not in result.message
    server.start()
    try:
        assert driver.get("k") == b"x"  # reconnects by itself once the server is back
    finally:
        server.stop()


def test_ftp_server_killed_mid_upload_leaves_no_partial_object():
    server = FTPServer().start()
    driver = FSURLDriver(server.url, backoff=0.01, chunk_size=MIB)
    driver.put("keep", b"old")

    class KillingSource(CountingReader):
        def readinto(self, buffer):
            if self.sent >= 4 * MIB:
                server.kill()
            return super().readinto(buffer)

    try:
        with pytest.raises(StorageUnavailable):
            driver.put("keep", KillingSource(32 * MIB))
        with pytest.raises(StorageUnavailable):
            driver.put("new", KillingSource(32 * MIB))
        server.start()  # same port, same files
        again = FSURLDriver(server.url)
        assert again.get("keep") == b"old"
        assert not again.exists("new")
        assert sorted(again.list("")) == ["keep"]
    finally:
        server.stop()


def test_ftp_reconnects_after_a_failed_stream_upload():
    """Streams are not retried, but the dead connection must still be dropped."""
    server = FTPServer().start()
    driver = FSURLDriver(server.url, backoff=0.01)
    try:
        driver.put("before", b"x")
        server.kill()
        with pytest.raises(StorageUnavailable):
            driver.put("during", CountingReader(1000))
        server.start()
        driver.put("after", CountingReader(1000))
        assert driver.get("after") == pattern(0, 1000)
    finally:
        server.stop()


def test_local_root_removed_while_in_use_is_created_again(tmp_path):
    import shutil

    driver = LocalDriver(str(tmp_path / "root"))
    driver.put("a/b", b"1")
    shutil.rmtree(tmp_path / "root")
    driver.put("a/b", b"2")
    assert driver.get("a/b") == b"2"
