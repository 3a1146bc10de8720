"""Encryption at rest over local disk, mem://, S3 (SeaweedFS) and Swift."""

import gc
import io
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from storage_drivers import FSURLDriver, IntegrityError, LocalDriver
from storage_drivers.encrypted_streams import encrypting_reader
from storage_drivers.encryption import EncryptingDriver
from storage_drivers.envelope import Slot, read_header
from storage_drivers.rewrap import CURRENT, IN_PLACE, rewrap_all, rewrap_object

from .contract import MIB, pattern
from .encryption_cases import K1, K2, SECRET, EncryptingContract, EncryptionCases, keys
from .test_s3_driver import SMALL as S3_SMALL_PARTS
from .test_s3_driver import s3_driver as make_s3_driver
from .test_swift_driver import make_driver as make_swift_driver


@pytest.fixture
def local_driver(tmp_path):
    return LocalDriver(str(tmp_path / "store"), chunk_size=MIB)


@pytest.fixture
def mem_driver():
    return FSURLDriver("mem://", chunk_size=MIB)


# the encrypting wrapper is tested on one server of each API (the inner
# drivers' differences are covered by their own tests)
@pytest.fixture(scope="session")
def s3_encryption_bucket(seaweedfs_settings):
    bucket = f"encryption-{uuid.uuid4().hex[:12]}"
    check = make_s3_driver(seaweedfs_settings, bucket, create_bucket=True).check()  # creates it
    assert check.ok, check.message
    return bucket


@pytest.fixture
def s3_driver(seaweedfs_settings, s3_encryption_bucket):
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    driver = make_s3_driver(
        seaweedfs_settings, s3_encryption_bucket, prefix=prefix, **S3_SMALL_PARTS
    )
    yield driver
    driver.close()


@pytest.fixture
def swift_driver(saio_service):
    driver = make_swift_driver(saio_service)
    yield driver
    driver.close()


class TestEncryptionOnLocalDisk(EncryptionCases):
    inner_fixture = "local_driver"


class TestEncryptionOnMem(EncryptionCases):
    inner_fixture = "mem_driver"


class TestEncryptingContractOnLocalDisk(EncryptingContract):
    inner_fixture = "local_driver"


class TestEncryptingContractOnMem(EncryptingContract):
    inner_fixture = "mem_driver"


class TestEncryptionOnS3(EncryptionCases):
    inner_fixture = "s3_driver"
    flip_stride = 7  # one request per flipped byte


class TestEncryptingContractOnS3(EncryptingContract):
    inner_fixture = "s3_driver"


class TestEncryptionOnSwift(EncryptionCases):
    inner_fixture = "swift_driver"
    flip_stride = 7  # one request per flipped byte


class TestEncryptingContractOnSwift(EncryptingContract):
    inner_fixture = "swift_driver"
    many_keys = 120  # as the Swift driver's own contract run


def test_encryption_needs_a_master_key(local_driver):
    with pytest.raises(ValueError, match="needs a master key"):
        EncryptingDriver(local_driver, None)


def test_label_says_encrypted(local_driver):
    assert EncryptingDriver(local_driver, keys("k1")).label.endswith("(encrypted)")
    assert EncryptingDriver(local_driver, None, encrypt=False).label == local_driver.label


def test_retried_upload_starts_over_with_a_new_data_key(local_driver):
    driver = EncryptingDriver(local_driver, keys("k1"), chunk_size=64)
    source = io.BytesIO(b"0123456789" * 50)
    source.seek(100)
    reader = encrypting_reader(source, driver.keys, 64)
    first = reader.read(300)
    assert reader.tell() == 300
    assert reader.seek(0) == 0
    again = reader.read()
    # same format, but a new nonce prefix and data key: no nonce reuse
    assert first[:13] == again[:13] and first[13:300] != again[13:300]
    local_driver.put("obj", again)
    assert driver.get("obj") == b"0123456789" * 40


# -- in-place re-wrap: crash safety ------------------------------------------------


def slot_ids(driver, key):
    return [slot.key_id if slot else None for slot in driver.header(key).slots]


def test_in_place_rewrap_touches_only_the_key_slots(local_driver, tmp_path):
    driver = EncryptingDriver(local_driver, keys("k1"))
    driver.put("obj", SECRET * 100)
    path = tmp_path / "store" / "obj"
    before = path.read_bytes()
    rotated = EncryptingDriver(local_driver, keys("k1", "k2"))
    assert rewrap_object(rotated, "obj") == (IN_PLACE, "k1")
    after = path.read_bytes()
    header = read_header(io.BytesIO(after))[0]
    assert len(after) == len(before)
    assert after[: header.slot_offset(0)] == before[: header.slot_offset(0)]
    assert after[header.size :] == before[header.size :]  # data not re-encrypted
    assert slot_ids(rotated, "obj") == [None, "k2"]
    # the next rotation writes slot 0 again
    third = EncryptingDriver(local_driver, keys("k2", "k1", current="k1"))
    assert rewrap_object(third, "obj") == (IN_PLACE, "k2")
    assert slot_ids(third, "obj") == ["k1", None]
    assert third.get("obj") == SECRET * 100


@pytest.mark.parametrize("torn", ["new slot torn", "new slot written, old not cleared"])
def test_interrupted_in_place_rewrap_stays_readable_and_is_finished(local_driver, torn):
    old = EncryptingDriver(local_driver, keys("k1"))
    old.put("obj", SECRET)
    rotated = EncryptingDriver(local_driver, keys("k1", "k2"))
    header = rotated.header("obj")
    data_key = rotated.keys.unwrap("k1", header.slots[0].wrapped, header.identity)
    header.slots[1] = Slot(*rotated.keys.wrap(data_key, header.identity))
    new_slot = header.pack_slot(1)
    if torn == "new slot torn":
        new_slot = new_slot[:40] + bytes(len(new_slot) - 40)  # a crash mid-write
    local_driver.write_at("obj", header.slot_offset(1), new_slot)
    assert rotated.get("obj") == SECRET
    assert old.get("obj") == SECRET  # the old key still opens it
    assert rewrap_object(rotated, "obj") == (IN_PLACE, "k1")
    assert slot_ids(rotated, "obj") == [None, "k2"]
    assert EncryptingDriver(local_driver, keys("k2")).get("obj") == SECRET


def test_a_killed_rewrap_is_resumed(tmp_path):
    """SIGKILL a re-wrap run mid-way: every object stays readable, a rerun finishes."""
    root = str(tmp_path / "store")
    driver = EncryptingDriver(LocalDriver(root), keys("k1"), chunk_size=256)
    count = 800  # more progress lines than a pipe holds (64 KiB): the child cannot finish alone
    for index in range(count):
        driver.put(f"{index % 7}/{index}", pattern(index, 300 + index % 500))
    child = subprocess.Popen(
        [sys.executable, "-c", REWRAP_CHILD, root],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "K1": K1.hex(), "K2": K2.hex()},
    )
    for __ in range(100):  # let it re-wrap some objects
        assert "objects" in child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()

    both = EncryptingDriver(LocalDriver(root), keys("k1", "k2"))
    report = rewrap_all(both)
    assert report.outcomes[CURRENT] >= 100
    assert report.outcomes[IN_PLACE] > 0  # it was interrupted indeed
    assert report.outcomes[CURRENT] + report.outcomes[IN_PLACE] == count
    retired = EncryptingDriver(LocalDriver(root), keys("k2"))
    for index in range(count):
        assert retired.get(f"{index % 7}/{index}") == pattern(index, 300 + index % 500)


REWRAP_CHILD = """
import logging, os, sys
from harness import drivers
drivers.load()
from storage_drivers import LocalDriver
from storage_drivers.encryption import EncryptingDriver
from storage_drivers.master_keys import LocalMasterKeys
from storage_drivers.rewrap import rewrap_all
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
keys = LocalMasterKeys({name.lower(): bytes.fromhex(os.environ[name]) for name in ("K1", "K2")})
rewrap_all(EncryptingDriver(LocalDriver(sys.argv[1]), keys), workers=2, log_interval=0)
"""


def test_stat_of_a_truncated_object(local_driver):
    driver = EncryptingDriver(local_driver, keys("k1"))
    driver.put("obj", SECRET)
    header = driver.header("obj")
    local_driver.put("obj", local_driver.get("obj")[: header.size + 10])
    with pytest.raises(IntegrityError, match="truncated"):
        driver.stat("obj")


def read_ahead_threads():
    return [thread for thread in threading.enumerate() if thread.name == "storage-read-ahead"]


def test_read_ahead_threads_end_with_their_stream(local_driver):
    driver = EncryptingDriver(local_driver, keys("k1"), chunk_size=1024)
    data = pattern(0, 200 * 1024)
    driver.put("big", data)
    driver.put("small", data[:1500])  # two chunks: read without a thread
    assert not read_ahead_threads()
    with driver.open("small") as stream:
        assert stream.read() == data[:1500]
        assert not read_ahead_threads()
    with driver.open("big") as stream:
        assert stream.read(5000) == data[:5000]
        assert read_ahead_threads()
    assert not read_ahead_threads()
    abandoned = driver.open("big")
    abandoned.read(5000)
    del abandoned  # never closed: collected, which stops its thread
    gc.collect()
    assert not read_ahead_threads()


def test_copy_to_another_backend(tmp_path):
    first, second = LocalDriver(str(tmp_path / "one")), LocalDriver(str(tmp_path / "two"))
    source = EncryptingDriver(first, keys("k1"))
    encrypting = EncryptingDriver(second, keys("k1"))
    source.put("secret", SECRET)
    EncryptingDriver(first, None, encrypt=False).put("plain", b"in clear")

    source.copy_to(encrypting, "secret")
    assert second.get("secret") == first.get("secret")  # copied as stored
    source.copy_to(encrypting, "plain")
    assert second.get("plain") != b"in clear"  # encrypted on the way
    assert encrypting.get("plain") == b"in clear"

    source.copy_to(EncryptingDriver(second, keys("k1"), encrypt=False), "plain", "plain2")
    assert second.get("plain2") == b"in clear"
    source.copy_to(second, "secret", "decrypted")  # a driver that does not decrypt
    assert second.get("decrypted") == SECRET


def test_inner_settings_show_through(local_driver):
    driver = EncryptingDriver(local_driver, keys("k1"))
    assert driver.root == local_driver.root
    with pytest.raises(AttributeError):
        driver.no_such_setting  # noqa: B018
    with pytest.raises(AttributeError):
        driver._fs  # noqa: B018 - private attributes stay private
