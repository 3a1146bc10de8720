"""Master keys from configuration text, and progress messages."""

import base64
import logging
import os

import pytest

from storage_drivers import ConfigError, IntegrityError, UnknownMasterKey
from storage_drivers.master_keys import LocalMasterKeys, generate_key
from storage_drivers.progress import Progress


def test_parse_entries_and_current_key():
    first, second = generate_key(), generate_key()
    text = f"""
        2024-01:{first}
        2025.06_b:{base64.urlsafe_b64encode(base64.b64decode(second)).decode().rstrip("=")},
    """
    keys = LocalMasterKeys.from_text(text)
    assert keys.key_ids() == ["2024-01", "2025.06_b"]
    assert keys.current_key_id == "2025.06_b"  # the last one listed
    assert LocalMasterKeys.from_text(text, current="2024-01").current_key_id == "2024-01"


def test_wrap_unwrap_binds_key_id_and_context():
    keys = LocalMasterKeys({"a": os.urandom(32), "b": os.urandom(32)}, current="a")
    data_key = os.urandom(32)
    key_id, wrapped = keys.wrap(data_key, b"context")
    assert key_id == "a" and data_key not in wrapped
    assert keys.unwrap("a", wrapped, b"context") == data_key
    with pytest.raises(IntegrityError):
        keys.unwrap("a", wrapped, b"other context")
    with pytest.raises(IntegrityError):
        keys.unwrap("b", wrapped, b"context")
    with pytest.raises(UnknownMasterKey, match="'c'"):
        keys.unwrap("c", wrapped, b"context")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no master key"),
        ("k1", "id:base64"),
        ("k1:c2hvcnQ=", "32 random bytes"),
        ("k1:!!notbase64!!", "32 random bytes"),
        ("bad!:AAAA", "invalid master key id"),
        (f"k1:{'A' * 43}=, k1:{'B' * 43}=", "configured twice"),
        (f"{'x' * 33}:{'A' * 43}=", "invalid master key id"),
    ],
)
def test_configuration_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        LocalMasterKeys.from_text(text)


def test_unknown_current_key():
    with pytest.raises(ConfigError, match="'k9' is not configured"):
        LocalMasterKeys.from_text(f"k1:{generate_key()}", current="k9")


def test_key_material_never_shows():
    material = generate_key()
    keys = LocalMasterKeys.from_text(f"k1:{material}")
    raw = base64.b64decode(material)
    for text in (repr(keys), str(keys.__dict__.keys()), keys.fingerprint):
        assert material not in text and raw.hex() not in text
    truncated = material[:-8]
    with pytest.raises(ConfigError) as error:
        LocalMasterKeys.from_text(f"k1:{truncated}")
    assert truncated not in str(error.value)
    with pytest.raises(ConfigError, match="entry 2") as error:
        LocalMasterKeys.from_text(f"k1:{generate_key()} {material}")  # id forgotten
    assert material[:4] not in str(error.value)


def test_fingerprint_follows_the_keys():
    one, two = generate_key(), generate_key()
    same = LocalMasterKeys.from_text(f"k1:{one}").fingerprint
    assert LocalMasterKeys.from_text(f"k1:{one}").fingerprint == same
    assert LocalMasterKeys.from_text(f"k1:{two}").fingerprint != same
    assert LocalMasterKeys.from_text(f"k1:{one} k2:{two}").fingerprint != same


def test_progress_message(caplog):
    progress = Progress("job", 10, 4096, interval=0)
    with caplog.at_level(logging.INFO):
        progress.add(5, 2048)
    message = caplog.messages[-1]
    assert message.startswith("job: 5/10 objects, 2.0 KiB/4.0 KiB, ")
    assert "objects/s" in message and "ETA" in message
    progress.add(5, 2048)
    assert "ETA" not in progress.message()
