"""The driver contract as tests: every driver must pass all of them.

A test module subclasses :class:`DriverContract` and provides a ``driver``
fixture returning a fresh, empty driver with ``chunk_size`` 1 MiB.
"""

import io
import threading

import pytest

from storage_drivers import (
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    StorageDriver,
)

MIB = 1024 * 1024

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/./b",
    "a//b",
    "a/",
    "nul\x00byte",
    "line\nbreak",
    "back\\slash",
    "x" * 1025,
    None,
    b"bytes",
]


class CountingReader(io.RawIOBase):
    """A non-seekable source that records how it is read."""

    def __init__(self, size, fail_after=None):
        super().__init__()
        self.size = size
        self.sent = 0
        self.largest_read = 0
        self.fail_after = fail_after

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise RuntimeError("source failed mid-upload")
        count = min(len(buffer), self.size - self.sent)
        self.largest_read = max(self.largest_read, len(buffer))
        buffer[:count] = pattern(self.sent, count)
        self.sent += count
        return count


def pattern(offset, count):
    """Deterministic, non-repeating-looking bytes for position checks."""
    block = bytes(range(251))
    start = offset % 251
    repeated = block[start:] + block * (count // 251 + 2)
    return repeated[:count]


class DriverContract:
    #: how many keys the listing test creates (page sizes are set lower)
    many_keys = 250
    #: size of the streaming test object
    stream_size = 8 * 1024 * 1024

    def test_is_a_driver(self, driver):
        assert isinstance(driver, StorageDriver)

    def test_put_get_roundtrip(self, driver):
        driver.put("docs/hello.txt", b"hello world", content_type="text/plain")
        assert driver.get("docs/hello.txt") == b"hello world"
        assert driver.exists("docs/hello.txt")
        assert driver.stat("docs/hello.txt").size == 11

    def test_put_from_file_object(self, driver):
        driver.put("a/b/c.bin", io.BytesIO(b"\x00\x01\x02" * 1000))
        assert driver.get("a/b/c.bin") == b"\x00\x01\x02" * 1000

    def test_empty_object(self, driver):
        driver.put("empty", b"")
        assert driver.get("empty") == b""
        assert driver.stat("empty").size == 0

    def test_unicode_and_spaces_in_keys(self, driver):
        key = "dossier été/facture n° 1.pdf"
        driver.put(key, b"%PDF")
        assert driver.get(key) == b"%PDF"
        assert key in set(driver.list("dossier"))

    def test_missing_object(self, driver):
        with pytest.raises(ObjectNotFound):
            driver.get("missing/key")
        with pytest.raises(ObjectNotFound):
            driver.open("missing/key")
        with pytest.raises(ObjectNotFound):
            driver.stat("missing/key")
        assert not driver.exists("missing/key")

    def test_overwrite(self, driver):
        driver.put("k", b"one")
        driver.put("k", b"two")
        assert driver.get("k") == b"two"

    def test_overwrite_false_refuses_and_keeps_content(self, driver):
        driver.put("once", b"original")
        with pytest.raises(ObjectExists):
            driver.put("once", b"replacement", overwrite=False)
        assert driver.get("once") == b"original"
        driver.put("fresh", b"new", overwrite=False)
        assert driver.get("fresh") == b"new"

    def test_delete_is_idempotent(self, driver):
        driver.put("gone", b"x")
        driver.delete("gone")
        assert not driver.exists("gone")
        driver.delete("gone")
        with pytest.raises(ObjectNotFound):
            driver.get("gone")

    def test_list_prefix_semantics(self, driver):
        for key in ("ab/1", "ab/2", "abc/3", "b/4", "ab/deep/5"):
            driver.put(key, key.encode())
        assert sorted(driver.list("ab/")) == ["ab/1", "ab/2", "ab/deep/5"]
        assert sorted(driver.list("ab")) == ["ab/1", "ab/2", "ab/deep/5", "abc/3"]
        assert sorted(driver.list("")) == ["ab/1", "ab/2", "ab/deep/5", "abc/3", "b/4"]
        assert list(driver.list("nothing/")) == []
        sizes = {stat.key: stat.size for stat in driver.scan("ab/")}
        assert sizes == {"ab/1": 4, "ab/2": 4, "ab/deep/5": 9}

    def test_list_many_keys(self, driver):
        expected = {f"many/{index:05d}" for index in range(self.many_keys)}
        for key in expected:
            driver.put(key, b"x")
        assert set(driver.list("many/")) == expected

    def test_copy(self, driver):
        driver.put("src/file", b"payload")
        driver.copy("src/file", "dst/file")
        assert driver.get("dst/file") == b"payload"
        assert driver.get("src/file") == b"payload"
        with pytest.raises(ObjectNotFound):
            driver.copy("src/missing", "dst/missing")

    def test_url_is_none_or_string(self, driver):
        driver.put("u", b"x")
        url = driver.url("u", expires=60)
        assert url is None or url.startswith(("http://", "https://"))

    def test_check(self, driver):
        result = driver.check()
        assert result.ok, result.message
        assert list(driver.list("")) == []

    def test_usage(self, driver):
        driver.put("u/1", b"12345")
        driver.put("u/2", b"123")
        usage = driver.usage()
        assert (usage.bytes_used, usage.object_count) == (8, 2)

    @pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
    def test_bad_keys_are_refused_before_the_backend(self, driver, key):
        for call in (
            lambda: driver.put(key, b"x"),
            lambda: driver.get(key),
            lambda: driver.open(key),
            lambda: driver.delete(key),
            lambda: driver.exists(key),
            lambda: driver.stat(key),
            lambda: driver.copy("anything", key),
            lambda: driver.url(key),
        ):
            with pytest.raises(InvalidKey):
                call()
        assert list(driver.list("")) == []

    def test_streams_in_chunks(self, driver):
        source = CountingReader(self.stream_size)
        driver.put("big/object", source)
        assert source.sent == self.stream_size
        # the driver never asked for the whole object at once
        assert source.largest_read < self.stream_size
        received = 0
        with driver.open("big/object") as stream:
            while True:
                chunk = stream.read(1024 * 1024)
                if not chunk:
                    break
                assert chunk == pattern(received, len(chunk))
                received += len(chunk)
        assert received == self.stream_size

    def test_failed_upload_leaves_nothing_visible(self, driver):
        driver.put("keep", b"previous version")
        with pytest.raises(RuntimeError):
            driver.put("keep", CountingReader(3 * 1024 * 1024, fail_after=1024 * 1024))
        with pytest.raises(RuntimeError):
            driver.put("never", CountingReader(3 * 1024 * 1024, fail_after=1024 * 1024))
        assert driver.get("keep") == b"previous version"
        assert not driver.exists("never")
        assert sorted(driver.list("")) == ["keep"]

    def test_concurrent_puts(self, driver):
        errors = []

        def worker(index):
            try:
                driver.put(f"parallel/{index}", str(index).encode() * 100)
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        for index in range(8):
            assert driver.get(f"parallel/{index}") == str(index).encode() * 100

    def test_copy_to_another_driver(self, driver, tmp_path):
        from storage_drivers import LocalDriver, PrefixDriver

        driver.put("cross/src", b"across drivers")
        other = LocalDriver(str(tmp_path / "other-store"))
        driver.copy_to(other, "cross/src", "landed/here")
        assert other.get("landed/here") == b"across drivers"
        # two prefixes of one driver copy within it
        first, second = PrefixDriver(driver, "one"), PrefixDriver(driver, "two")
        first.put("k", b"prefixed")
        first.copy_to(second, "k")
        assert driver.get("two/k") == b"prefixed"
        with pytest.raises(ObjectNotFound):
            driver.copy_to(other, "cross/missing")
