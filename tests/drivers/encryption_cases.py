"""Encryption at rest as tests, reusable over any inner driver.

A test module subclasses :class:`EncryptionCases` (or
:class:`EncryptingContract`, the shared driver contract run through the
wrapper) and names the fixture giving a fresh, empty inner driver::

    class TestEncryptionOnS3(EncryptionCases):
        inner_fixture = "s3_driver"
"""

import io
import os

import pytest

from storage_drivers import IntegrityError, StorageError, UnknownMasterKey
from storage_drivers.encryption import EncryptingDriver
from storage_drivers.envelope import MAGIC, TAG_BYTES, read_header
from storage_drivers.master_keys import LocalMasterKeys
from storage_drivers.rewrap import COPIED, CURRENT, IN_PLACE, PLAINTEXT, rewrap_all

from .contract import DriverContract, pattern

CHUNK = 256  # small chunks: a few KiB make many of them
SECRET = b"Invoice 4711 for ACME: pay 1,234.56 EUR to IBAN DE89 3704 0044. "

K1, K2 = os.urandom(32), os.urandom(32)


def keys(*ids, current=None):
    material = {"k1": K1, "k2": K2}
    return LocalMasterKeys({key_id: material[key_id] for key_id in ids}, current=current)


def flip(data, position):
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def read_in_pieces(driver, key, piece=100):
    parts = []
    with driver.open(key) as stream:
        while True:
            data = stream.read(piece)
            if not data:
                return b"".join(parts)
            parts.append(data)


class InnerDriver:
    #: name of the fixture returning a fresh, empty inner driver
    inner_fixture = None

    @pytest.fixture
    def inner(self, request):
        return request.getfixturevalue(self.inner_fixture)


class EncryptionCases(InnerDriver):
    #: test every n-th byte position for flips (raise it for slow backends)
    flip_stride = 1

    @pytest.fixture
    def driver(self, inner):
        return EncryptingDriver(inner, keys("k1"), chunk_size=CHUNK)

    def store(self, driver, key, data):
        """Put ``data`` through ``driver``; return the bytes at rest."""
        driver.put(key, data)
        return driver.inner.get(key)

    def test_bytes_at_rest_hide_the_plaintext(self, driver):
        plaintext = SECRET * 100
        at_rest = self.store(driver, "doc", plaintext)
        assert at_rest.startswith(MAGIC)
        assert len(at_rest) > len(plaintext)
        # no 16-byte run of the plaintext appears anywhere at rest
        runs = {plaintext[i : i + 16] for i in range(len(SECRET))}
        assert not any(run in at_rest for run in runs)
        assert driver.get("doc") == plaintext

    def test_each_object_gets_its_own_data_key(self, driver):
        first = self.store(driver, "one", SECRET)
        second = self.store(driver, "two", SECRET)
        header = read_header(io.BytesIO(first))[0]
        assert first[header.size :] != second[header.size :]

    @pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5])
    def test_sizes_around_chunk_boundaries(self, driver, size):
        data = pattern(7, size)
        driver.put("obj", data)
        assert driver.get("obj") == data
        assert read_in_pieces(driver, "obj", piece=97) == data
        assert driver.stat("obj").size == size
        assert [stat.size for stat in driver.scan("obj")] == [size]

    def test_streams_from_a_file_object(self, driver):
        data = pattern(0, 50 * CHUNK + 3)
        driver.put("stream", io.BytesIO(data))
        with driver.open("stream") as stream:
            assert stream.read(10) == data[:10]
            assert stream.read() == data[10:]
            assert stream.read(10) == b""

    def test_every_flipped_byte_is_detected(self, driver):
        plaintext = pattern(3, 2 * CHUNK + 40)
        at_rest = self.store(driver, "obj", plaintext)
        header = read_header(io.BytesIO(at_rest))[0]
        spare = range(header.slot_offset(1), header.size)  # the empty key slot
        for position in range(0, len(at_rest), self.flip_stride):
            driver.inner.put("obj", flip(at_rest, position))
            if position in spare:
                # unused by this object; a re-wrap writes there
                assert driver.get("obj") == plaintext
                continue
            with pytest.raises(IntegrityError):
                driver.get("obj")

    def test_swapped_missing_or_extra_chunks(self, driver):
        plaintext = pattern(5, 4 * CHUNK + 10)
        at_rest = self.store(driver, "obj", plaintext)
        size = read_header(io.BytesIO(at_rest))[0].size
        block = CHUNK + TAG_BYTES
        head, body = at_rest[:size], at_rest[size:]
        chunks = [body[i : i + block] for i in range(0, len(body), block)]
        assert len(chunks) == 5
        other = self.store(driver, "other", plaintext)[size:]
        damaged = {
            "swapped": [chunks[0], chunks[2], chunks[1], *chunks[3:]],
            "missing middle": [chunks[0], *chunks[2:]],
            "missing last": chunks[:4],
            "missing first": chunks[1:],
            "repeated": [chunks[0], *chunks],
            "appended": [*chunks, chunks[4]],
            "only header": [],
            "last byte cut": [*chunks[:4], chunks[4][:-1]],
            "from another object": [chunks[0], other[block : 2 * block], *chunks[2:]],
        }
        for case, parts in damaged.items():
            driver.inner.put("obj", head + b"".join(parts))
            with pytest.raises(IntegrityError):
                driver.get("obj")
            with pytest.raises(IntegrityError), driver.open("obj") as stream:
                while stream.read(CHUNK):
                    pass
            assert case

    def test_streaming_read_stops_before_a_damaged_chunk(self, driver):
        plaintext = pattern(1, 6 * CHUNK)
        at_rest = self.store(driver, "obj", plaintext)
        size = read_header(io.BytesIO(at_rest))[0].size
        driver.inner.put("obj", flip(at_rest, size + 3 * (CHUNK + TAG_BYTES) + 5))
        received = b""
        with pytest.raises(IntegrityError, match="chunk 3"), driver.open("obj") as stream:
            while True:
                data = stream.read(CHUNK)
                if not data:
                    break
                received += data
        assert received == plaintext[: 3 * CHUNK]

    def test_same_id_with_other_material_is_refused(self, driver, inner):
        driver.put("obj", SECRET)
        impostor = EncryptingDriver(inner, LocalMasterKeys({"k1": K2}))
        with pytest.raises(IntegrityError, match="k1"):
            impostor.get("obj")

    def test_rotation_then_rewrap_then_retiring_the_old_key(self, driver, inner):
        old = {f"old/{index}": pattern(index, index * 300) for index in range(6)}
        for key, data in old.items():
            driver.put(key, data)
        rotated = EncryptingDriver(inner, keys("k1", "k2"), chunk_size=CHUNK)
        assert rotated.get("old/3") == old["old/3"]
        rotated.put("new", SECRET)
        assert [slot.key_id for slot in rotated.header("new").slots if slot] == ["k2"]

        retired = EncryptingDriver(inner, keys("k2"), chunk_size=CHUNK)
        with pytest.raises(UnknownMasterKey, match="'k1'"):
            retired.get("old/3")

        report = rewrap_all(rotated, workers=2)
        changed = IN_PLACE if inner.can_write_at else COPIED
        assert report.outcomes == {changed: 6, CURRENT: 1}
        assert report.keys_found == {"k1": 6, "k2": 1}
        assert report.failed == 0
        for key, data in old.items():
            assert [slot.key_id for slot in retired.header(key).slots if slot] == ["k2"]
            assert retired.get(key) == data
            assert retired.stat(key).size == len(data)
        # resumable: a second run only skips
        assert rewrap_all(rotated).outcomes == {CURRENT: 7}

    def test_rewrap_skips_plaintext_and_reports_damage(self, driver, inner):
        driver.put("good", SECRET)
        driver.put("bad", SECRET)
        damaged = inner.get("bad")[:-1]
        inner.put("bad", damaged)
        inner.put("plain", b"never encrypted")
        report = rewrap_all(EncryptingDriver(inner, keys("k1", "k2")))
        if inner.can_write_at:
            # only the header is rewritten: the damage stays for readers to find
            assert report.outcomes == {IN_PLACE: 2, PLAINTEXT: 1}
        else:
            # the copy verifies every chunk and never replaces the object
            assert report.outcomes == {COPIED: 1, PLAINTEXT: 1}
            assert report.failed == 1 and report.failures[0][0] == "bad"
            assert inner.get("bad") == damaged
        assert inner.get("plain") == b"never encrypted"
        assert EncryptingDriver(inner, keys("k2")).get("good") == SECRET

    def test_switching_encryption_on_and_off_keeps_everything_readable(self, inner):
        plain = EncryptingDriver(inner, None, encrypt=False)
        plain.put("before", b"written in clear")
        assert inner.get("before") == b"written in clear"
        encrypted = EncryptingDriver(inner, keys("k1"))
        encrypted.put("during", b"written encrypted")
        assert encrypted.get("before") == b"written in clear"
        assert encrypted.get("during") == b"written encrypted"
        switched_off = EncryptingDriver(inner, keys("k1"), encrypt=False)
        switched_off.put("after", b"in clear again")
        assert inner.get("after") == b"in clear again"
        for key, data in [("before", b"written in clear"), ("during", b"written encrypted")]:
            assert switched_off.get(key) == data
            assert switched_off.stat(key).size == len(data)
        with pytest.raises(UnknownMasterKey, match="no master key"):
            plain.get("during")

    def test_plaintext_that_looks_encrypted_is_stored_encrypted(self, inner):
        tricky = MAGIC + b"not really a header"
        EncryptingDriver(inner, keys("k1"), encrypt=False).put("tricky", tricky)
        assert inner.get("tricky") != tricky
        assert EncryptingDriver(inner, keys("k1"), encrypt=False).get("tricky") == tricky
        with pytest.raises(StorageError, match="needs a master key"):
            EncryptingDriver(inner, None, encrypt=False).put("other", io.BytesIO(tricky))
        assert not inner.exists("other")

    def test_check_runs_the_backend_check_then_an_encrypted_probe(self, driver, inner):
        result = driver.check()
        assert result.ok, result.message
        assert result.message.startswith(inner.check().message.split(":")[0])
        assert result.message.endswith("an encrypted probe read back correctly")
        assert list(inner.list("")) == []
        plain = EncryptingDriver(inner, None, encrypt=False).check()
        assert plain.ok and "encrypted probe" not in plain.message

    def test_no_direct_url_to_ciphertext(self, driver):
        driver.put("obj", SECRET)
        assert driver.url("obj") is None
        assert EncryptingDriver(driver.inner, keys("k1"), encrypt=False).url("obj") is None


class EncryptingContract(InnerDriver, DriverContract):
    """The shared driver contract, through the encrypting wrapper."""

    @pytest.fixture
    def driver(self, inner):
        return EncryptingDriver(inner, keys("k1", "k2"))

    def test_usage(self, driver):
        # usage() reports what the backend stores: the encrypted sizes
        driver.put("u/1", b"12345")
        driver.put("u/2", b"123")
        usage = driver.usage()
        stored = sum(len(driver.inner.get(key)) for key in ("u/1", "u/2"))
        assert (usage.bytes_used, usage.object_count) == (stored, 2)
        assert stored > 8 + 2 * TAG_BYTES
