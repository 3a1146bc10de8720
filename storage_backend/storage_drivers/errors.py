"""The one error hierarchy every driver speaks.

No backend-specific exception leaks out of a driver: callers (the Odoo
addons, the migration and backup tools) only ever catch these.
"""


class StorageError(Exception):
    """Base class of every storage error."""


class ObjectNotFound(StorageError, FileNotFoundError):
    """The key does not exist on the backend."""


class ObjectExists(StorageError, FileExistsError):
    """``put(..., overwrite=False)`` found an existing object."""


class StorageUnavailable(StorageError):
    """Network, authentication or server failure, after retries."""


class IntegrityError(StorageError):
    """Stored bytes do not match their checksum or authentication tag."""


class ConfigError(StorageError, ValueError):
    """The driver configuration is invalid or incomplete."""


class InvalidKey(StorageError, ValueError):
    """A key or prefix that could escape the root or confuse a backend."""


class UnknownMasterKey(ConfigError):
    """An object is encrypted under a master key that is not configured."""
