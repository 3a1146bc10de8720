# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How attachments name their objects."""

import hashlib
import re

REMOTE_FNAME = re.compile(r"^(?P<code>[a-z][a-z0-9_]{0,31})://(?P<key>.+)$")
# Catalyst's odoo_openstack_storage named files by their bare sha1
FLAT_NAME = re.compile(r"^[0-9a-f]{40}$")


def split_fname(fname):
    """``(code, key)`` for a remote ``store_fname``, ``(None, fname)`` otherwise."""
    match = REMOTE_FNAME.match(fname or "")
    return (match["code"], match["key"]) if match else (None, fname)


def remote_fname(code, key):
    return f"{code}://{key}"


def content_key(checksum):
    """Content-addressed key, laid out like the filestore: ``ab/abcdef...``."""
    return f"{checksum[:2]}/{checksum}"


def local_candidates(key):
    """Filestore names where a copy of ``key`` may be: itself and, for a bare
    sha1, core's ``ab/<sha1>`` and older ``abc/<sha1>`` folders."""
    if FLAT_NAME.match(key):
        return [key, f"{key[:2]}/{key}", f"{key[:3]}/{key}"]
    return [key]


def lock_id(fname):
    """A PostgreSQL advisory lock id (signed 64 bits) for one object."""
    return int.from_bytes(hashlib.sha1(fname.encode()).digest()[:8], "big", signed=True)
