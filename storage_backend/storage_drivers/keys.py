"""Key validation, done before any backend is touched.

Keys are ``/``-separated relative paths. Anything that could escape a root
directory, be read differently by two backends or truncate a C string is
refused here, once, for every driver.
"""

from .errors import InvalidKey

MAX_KEY_BYTES = 1024  # S3's limit, and far above anything Odoo produces


def _describe(key):
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


def validate_key(key):
    """Return ``key`` unchanged when it is a safe relative key, else raise."""
    if not isinstance(key, str):
        raise InvalidKey(f"a key must be a string, not {type(key).__name__}")
    if not key:
        raise InvalidKey("a key cannot be empty")
    if "\x00" in key:
        raise InvalidKey(f"key {_describe(key)} contains a NUL byte")
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise InvalidKey(f"key {_describe(key)} contains a control character")
    if key.startswith("/"):
        raise InvalidKey(f"key {_describe(key)} is absolute; keys are relative")
    if "\\" in key:
        raise InvalidKey(f"key {_describe(key)} contains a backslash; use '/'")
    for segment in key.split("/"):
        if not segment:
            raise InvalidKey(f"key {_describe(key)} has an empty path segment")
        if segment in (".", ".."):
            raise InvalidKey(f"key {_describe(key)} contains a '{segment}' segment")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"key {_describe(key)} is longer than {MAX_KEY_BYTES} bytes")
    return key


def validate_prefix(prefix):
    """A listing prefix: empty, or a key optionally ending with ``/``."""
    if prefix in ("", None):
        return ""
    if not isinstance(prefix, str):
        raise InvalidKey(f"a prefix must be a string, not {type(prefix).__name__}")
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def join_key(*parts):
    """Join key parts, ignoring empty ones and stray slashes at the edges."""
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))
