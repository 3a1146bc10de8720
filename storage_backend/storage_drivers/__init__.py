"""Storage drivers: one small contract over local disk, PyFilesystem2 URLs,
S3 and Swift, plus composable wrappers. Plain Python, no Odoo import.

Backend libraries (boto3...) are imported when a driver first needs them;
modules needing optional dependencies are imported explicitly, e.g.
``from storage_drivers.encryption import EncryptingDriver`` (cryptography).
"""

from .base import CheckResult, ObjectStat, StorageDriver, Usage
from .errors import (
    ConfigError,
    IntegrityError,
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    UnknownMasterKey,
)
from .fs_driver import FSDriver, FSURLDriver, LocalDriver
from .keys import join_key, validate_key, validate_prefix
from .prefix import PrefixDriver
from .s3 import S3Driver

__all__ = [
    "CheckResult",
    "ConfigError",
    "FSDriver",
    "FSURLDriver",
    "IntegrityError",
    "InvalidKey",
    "LocalDriver",
    "ObjectExists",
    "ObjectNotFound",
    "ObjectStat",
    "PrefixDriver",
    "S3Driver",
    "StorageDriver",
    "StorageError",
    "StorageUnavailable",
    "UnknownMasterKey",
    "Usage",
    "join_key",
    "validate_key",
    "validate_prefix",
]
