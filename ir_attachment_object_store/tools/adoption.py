# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Adopt the files another addon stored: rewrite their rows to this suite's layout.

Rows read where another addon left their objects (a backend with an
``adopted_layout``) get a ``<code>://ab/<sha1>`` name on a backend of this
suite. It is a migration (:mod:`.migration`) with another selection and
another copy: objects are copied server-side when both ends are the same
kind of server (S3 ``CopyObject``, Swift ``X-Copy-From``) and verified by
their size and the server's MD5 where both report one, or read back with
``verify_read``; other copies stream and are verified by their sha1 as in a
migration. The other addon's objects are never deleted.
"""

import contextlib
import os

from odoo import _
from odoo.exceptions import UserError

from odoo.addons.storage_backend.storage_drivers import ObjectExists, ObjectNotFound

from .hashing import HashingReader
from .migration import AttachmentMigration, _drain, _open_first
from .object_keys import FLAT_NAME, local_candidates, split_fname

# drivers whose copy_to() copies on the server when both ends share an account
SERVER_SIDE_COPY = ("S3Driver", "SwiftDriver")


class AttachmentAdoption(AttachmentMigration):
    """Rewrite adopted rows to backend ``target``.

    By default, Catalyst's files go to its backend (their container), the
    others to the attachment location.
    """

    def __init__(self, env, target=None, **kwargs):
        attachments = env["ir.attachment"].sudo()
        backends = env["storage.backend"].sudo().with_context(active_test=False)
        self.flat_backend = backends.browse(attachments._object_store_flat_backend_id())
        self.flat_target = target or self.flat_backend.code
        if not target:
            location = attachments._storage()
            target = location
            if location in ("file", "db") or attachments._object_store_is_foreign(location):
                target = self.flat_backend.code
            if not target:
                raise UserError(
                    _(
                        "Name the backend of this suite that adopted files go to "
                        "(the attachment location is %r).",
                        location,
                    )
                )
        kwargs["remove_local"] = False  # nothing of the other addon is deleted
        super().__init__(env, target, **kwargs)
        if target in ("file", "db"):
            raise UserError(_("Adopted files go to a storage backend, not to %r.", target))
        self.foreign_codes = backends.search(
            [("adopted_layout", "in", ("camptocamp_s3", "camptocamp_swift", "fs_attachment"))]
        ).mapped("code")

    def _pending_condition(self):
        conditions, params = [], []
        if self.foreign_codes:
            conditions.append("split_part(store_fname, '://', 1) = ANY(%s)")
            params.append(self.foreign_codes)
        if self.flat_backend:
            conditions.append("store_fname ~ %s")
            params.append(FLAT_NAME.pattern)
        if not conditions:
            return "FALSE", []
        return f"store_fname IS NOT NULL AND ({' OR '.join(conditions)})", params

    def _destination(self, item):
        # adopted files stay files, whatever their size
        if FLAT_NAME.match(item.old_fname or ""):
            return self.flat_target
        return self.target

    def _source(self, item):
        """``(driver, key, local paths)`` of an adopted row's object."""
        code, key = split_fname(item.old_fname)
        if code:
            return self._driver(code), key, []
        local = [self.attachments._full_path(name) for name in local_candidates(key)]
        return self._driver(self.flat_backend.code), key, local

    def _job(self, item):
        driver, key, local = self._source(item)
        target = self._driver(item.destination)
        new_key = split_fname(item.new_fname)[1]
        source, source_key, __ = storage_of(driver, key)
        destination, destination_key, encrypts = storage_of(target, new_key)
        kind = type(source).__name__
        if not encrypts and kind in SERVER_SIDE_COPY and kind == type(destination).__name__:
            # The other addon's objects are plaintext; a target that does not
            # encrypt stores them as they are: both ends are seen without the
            # (decrypting) wrappers, so nothing reads the objects' headers.
            return lambda: self._copy_server_side(
                item, (source, source_key), (destination, destination_key), target, new_key, local
            )

        def opener():
            return _open_first(key, drivers=[driver], after=_first_file(local))

        return lambda: self._copy_to_driver(item, opener, target, new_key)

    def _copy_server_side(self, item, source, destination, target, new_key, local):
        (driver, key), (inner, inner_key) = source, destination
        try:
            stat = driver.stat(key)
        except ObjectNotFound:
            if not _first_file(local):
                raise
            # a file the other addon never moved off the disk: streamed and hashed
            path = _first_file(local)
            return self._copy_to_driver(item, lambda: open(path, "rb"), target, new_key)
        if stat.size != item.size:
            raise ValueError(f"the object has {stat.size} bytes, the attachment {item.size}")
        created = False
        if not inner.exists(inner_key):
            with contextlib.suppress(ObjectExists):
                driver.copy_to(inner, key, inner_key)
                created = True
        try:
            copied = inner.stat(inner_key)
            if copied.size != item.size:
                raise ValueError(f"copied {copied.size} bytes instead of {item.size}")
            if created and _md5(stat.etag) and _md5(copied.etag) and stat.etag != copied.etag:
                raise ValueError("the copy's MD5 differs from the original's")
            if self.verify_read:
                with target.open(new_key) as check:
                    self._verify_sent(item, _drain(HashingReader(check)))
        except ValueError:
            if created:
                inner.delete(inner_key)
            raise


def storage_of(driver, key):
    """``(driver that stores key, its key there, whether a wrapper encrypts)``.

    Looks through wrappers that only decrypt (storage_keymanager wraps every
    backend), which copy server-side when nothing must be encrypted.
    """
    encrypts = False
    driver, key = driver._unwrap(key)
    while type(driver).__name__ == "EncryptingDriver":
        encrypts = encrypts or driver.encrypt
        driver, key = driver.inner._unwrap(key)
    return driver, key, encrypts


def _first_file(paths):
    return next((path for path in paths if os.path.isfile(path)), None)


def _md5(etag):
    """The MD5 an ETag stands for, when it is one (not a multipart or SLO ETag)."""
    etag = (etag or "").strip('"').lower()
    return etag if len(etag) == 32 and all(c in "0123456789abcdef" for c in etag) else None
