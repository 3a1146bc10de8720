"""Master keys (key-encryption keys) that wrap the per-object data keys.

A :class:`MasterKeyProvider` never hands its key material out: it only wraps
a data key under the current master key and unwraps one under any key it
still knows, so an external key service (KMS) can implement the same
interface. :class:`LocalMasterKeys` keeps the keys in process memory, read
from the server configuration by the caller.
"""

import abc
import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import ConfigError, IntegrityError, UnknownMasterKey

KEY_BYTES = 32  # AES-256
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_WRAP_NONCE_BYTES = 12
_WRAP_LABEL = b"storage-drivers/wrap/v1\x00"


def validate_key_id(key_id):
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.match(key_id):
        raise ConfigError(
            f"invalid master key id {key_id!r}: use 1 to 32 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return key_id


def generate_key():
    """Fresh key material, as the configuration expects it (base64)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class MasterKeyProvider(abc.ABC):
    """Wraps data keys under master keys; holds or reaches the master keys."""

    #: short name shown to administrators ("local", "aws-kms"...)
    name = "provider"

    @property
    @abc.abstractmethod
    def current_key_id(self):
        """Id of the key new data keys are wrapped with."""

    @abc.abstractmethod
    def key_ids(self):
        """Ids of every key that can unwrap, the current one included."""

    @abc.abstractmethod
    def wrap(self, data_key, context):
        """``(key_id, wrapped)``: ``data_key`` wrapped under the current key.

        ``context`` (bytes) is authenticated with the wrapped key: unwrapping
        succeeds only with the same context.
        """

    @abc.abstractmethod
    def unwrap(self, key_id, wrapped, context):
        """The data key; :class:`UnknownMasterKey` when ``key_id`` is not
        available, :class:`IntegrityError` when ``wrapped`` or ``context``
        was altered."""

    @property
    def fingerprint(self):
        """Changes whenever the keys change; safe to keep in memory, not secret."""
        return f"{self.name}:{self.current_key_id}:{','.join(self.key_ids())}"

    def __repr__(self):
        return f"<{type(self).__name__} current={self.current_key_id!r} keys={self.key_ids()}>"


class LocalMasterKeys(MasterKeyProvider):
    """Master keys held in memory, from the server configuration.

    ``keys`` maps key ids to 32 raw bytes; ``current`` defaults to the last
    key given, so rotating is appending a key.
    """

    name = "local"

    def __init__(self, keys, current=None):
        if not keys:
            raise ConfigError("no master key configured")
        self._keys = {}
        for key_id, material in keys.items():
            validate_key_id(key_id)
            if not isinstance(material, bytes) or len(material) != KEY_BYTES:
                raise ConfigError(f"master key {key_id!r} must be {KEY_BYTES} bytes")
            self._keys[key_id] = AESGCM(material)
        self._current = current or list(keys)[-1]
        if self._current not in self._keys:
            raise ConfigError(f"the current master key {self._current!r} is not configured")
        digest = hashlib.sha256()
        for key_id, material in keys.items():
            digest.update(key_id.encode() + b"\x00" + hashlib.sha256(material).digest())
        self._fingerprint = f"local:{self._current}:{digest.hexdigest()[:16]}"

    @classmethod
    def from_text(cls, text, current=None):
        """Parse ``id:base64`` entries separated by commas, spaces or newlines.

        Error messages name the key id, never the material.
        """
        keys = {}
        entries = [entry for entry in re.split(r"[\s,]+", text or "") if entry]
        for number, entry in enumerate(entries, 1):
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                # quoting the entry could show key material
                raise ConfigError(f"master key entry {number} must look like 'id:base64-material'")
            validate_key_id(key_id)
            if key_id in keys:
                raise ConfigError(f"master key {key_id!r} is configured twice")
            keys[key_id] = _decode_material(key_id, encoded)
        return cls(keys, current=(current or "").strip() or None)

    @property
    def current_key_id(self):
        return self._current

    def key_ids(self):
        return list(self._keys)

    @property
    def fingerprint(self):
        return self._fingerprint

    def wrap(self, data_key, context):
        nonce = os.urandom(_WRAP_NONCE_BYTES)
        aad = _WRAP_LABEL + self._current.encode() + b"\x00" + context
        return self._current, nonce + self._keys[self._current].encrypt(nonce, data_key, aad)

    def unwrap(self, key_id, wrapped, context):
        aead = self._keys.get(key_id)
        if aead is None:
            raise UnknownMasterKey(f"master key {key_id!r} is not configured")
        aad = _WRAP_LABEL + key_id.encode() + b"\x00" + context
        nonce, sealed = wrapped[:_WRAP_NONCE_BYTES], wrapped[_WRAP_NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError) as error:
            raise IntegrityError(
                f"the data key wrapped under master key {key_id!r} does not authenticate "
                "(damaged header, or different key material under the same id)"
            ) from error


def _decode_material(key_id, encoded):
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        material = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        material = b""
    if len(material) != KEY_BYTES:
        raise ConfigError(
            f"master key {key_id!r} must be {KEY_BYTES} random bytes in base64 "
            "(e.g. the output of `openssl rand -base64 32`)"
        )
    return material
