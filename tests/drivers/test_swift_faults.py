"""Faults on a private Swift: crashed servers and lost tokens, for real."""

import io

import pytest

from harness.swift import SwiftServer
from storage_drivers import StorageUnavailable

from .contract import MIB, CountingReader, pattern
from .test_swift_driver import make_driver, segments


@pytest.fixture(scope="module")
def server():
    server = SwiftServer().start()
    yield server
    server.stop()


@pytest.fixture
def driver(server):
    driver = make_driver(server.env(), backoff=0.01)
    yield driver
    driver.close()


class CrashingFile(io.BytesIO):
    """A seekable source (known length: one streamed request) that crashes Swift."""

    def __init__(self, server, size, crash_at):
        super().__init__(pattern(0, size))
        self.server, self.crash_at = server, crash_at

    def read(self, size=-1):
        if self.tell() >= self.crash_at and self.server.processes:
            self.server.kill()
        return super().read(size)


class CrashingStream(CountingReader):
    """A stream of unknown length (a large object) that crashes Swift."""

    def __init__(self, server, size, crash_at):
        super().__init__(size)
        self.server, self.crash_at = server, crash_at

    def readinto(self, buffer):
        if self.sent >= self.crash_at and self.server.processes:
            self.server.kill()
        return super().readinto(buffer)


@pytest.mark.parametrize(
    "source, size",
    [(CrashingFile, 2 * MIB), (CrashingStream, 12 * MIB)],
    ids=["single-request", "large-object"],
)
def test_crash_mid_upload_leaves_no_partial_object(server, driver, source, size):
    driver.put("keep", b"old")
    for key in ("keep", "new"):
        crashing = source(server, size, crash_at=size // 2)
        with pytest.raises(StorageUnavailable, match="unreachable"):
            driver.put(key, crashing)
        assert not server.processes  # it crashed during the upload
        server.start()  # same ports, same data; memcached lost every token
    assert driver.get("keep") == b"old"
    assert not driver.exists("new")
    assert sorted(driver.list("")) == ["keep"]
    assert driver.auth.authentications == 3  # each lost token was renewed once


def test_server_down_is_unavailable_after_retries(server, driver):
    driver.put("k", b"x")
    server.kill()
    try:
        with pytest.raises(StorageUnavailable, match="unreachable"):
            driver.get("k")
        result = driver.check()
        assert not result.ok and "unreachable" in result.message
        assert server.key not in result.message
    finally:
        server.start()
    assert driver.get("k") == b"x"


def test_crash_mid_download_is_unavailable(server, driver):
    driver.put("big", b"z" * (8 * MIB))
    with driver.open("big") as stream:
        assert stream.read(MIB)
        server.kill()
        try:
            with pytest.raises(StorageUnavailable):
                while stream.read(MIB):
                    pass
        finally:
            server.start()
    assert driver.get("big") == b"z" * (8 * MIB)


def test_lost_token_is_renewed_once(server, driver):
    driver.put("k", b"x")
    server.forget_tokens()
    assert driver.get("k") == b"x"
    assert driver.auth.authentications == 2
    assert segments(driver) == []


class OneShotFile(io.RawIOBase):
    """A file of known length that cannot be rewound, like a socket or a pipe."""

    def __init__(self, data):
        super().__init__()
        self._data = io.BytesIO(data)
        self.size = len(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("source", ["bytes", "seekable", "stream"])
def test_upload_with_a_lost_token_is_sent_whole_or_refused(server, driver, source):
    """A 401 answered to an upload must not resend a body that was consumed."""
    data = pattern(0, 300000)
    driver.put("warm-up", b"x")
    server.forget_tokens()
    payload = {"bytes": data, "seekable": io.BytesIO(data), "stream": OneShotFile(data)}[source]
    driver.put("after-token-loss", payload)
    assert driver.get("after-token-loss") == data
