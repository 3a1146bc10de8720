# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Restore a backup into a new database, streamed from wherever it is stored.

Nothing is extracted to disk: ``dump.sql`` is piped into ``psql``, a custom
dump into ``pg_restore``, filestore files are written into the new
database's filestore and attachment objects are stored in the new
database's own space on their backends. An existing database is never
touched; a restore that fails drops the database it created.
"""

import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile

from psycopg2 import sql

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.neutralize import neutralize_database
from odoo.modules.registry import Registry
from odoo.service import db as db_service
from odoo.sql_db import db_connect
from odoo.tools import config, exec_pg_environ, find_pg_tool

from odoo.addons.storage_backend.storage_drivers import ObjectExists, validate_key
from odoo.addons.storage_backend.storage_drivers.streams import ReadStream

from .objects import REMOTE_FNAME
from .streams import BackupError, HashingReader
from .zip_reader import iter_members

_logger = logging.getLogger(__name__)

DBNAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")  # the database manager's
CHUNK = 1024 * 1024
BUFFERED_OBJECT = 8 * 1024 * 1024  # smaller objects are uploaded from memory (retryable)
# set in a restored database before its registry first loads, when its
# attachment objects are restored into its own space (read by the bridge addon
# storage_backup_object_store, which then reads nothing from the original's)
RESTORED_OBJECTS_PARAM = "storage_backup.restored_objects"


class DatabaseExists(BackupError):
    """The target database exists: a restore never overwrites one."""


def database_exists(dbname):
    with contextlib.closing(db_connect("postgres").cursor()) as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
        return bool(cr.fetchone())


def check_target(dbname):
    if not DBNAME_PATTERN.match(dbname or ""):
        raise BackupError(
            f"invalid database name {dbname!r}: use letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if database_exists(dbname):
        raise DatabaseExists(f"database {dbname!r} already exists: a restore never overwrites one")


def check_version(manifest):
    """Refuse a backup of another major version of Odoo (it needs a migration)."""
    major = (manifest or {}).get("odoo_major_version") or (manifest or {}).get("major_version")
    if major and major != odoo.release.major_version:
        raise BackupError(
            f"the backup was made with Odoo {major}; this is Odoo {odoo.release.major_version}"
        )


class Restore:
    """Restore one backup into database ``dbname``.

    ``archive`` is a readable stream; ``objects_archive``, for a dump whose
    attachment objects were saved beside it, returns one. ``expected`` maps them
    (``backup``, ``objects``) to the size and SHA-256 the backup's manifest
    recorded, checked once each stream has been read to its end.
    """

    def __init__(self, dbname, *, copy=True, neutralize=False):
        self.dbname = dbname
        self.copy = copy
        self.neutralize = neutralize
        self.filestore = config.filestore(dbname)
        self._registry = None
        self._drivers = {}
        self.stats = {"filestore_files": 0, "objects": 0, "objects_existing": 0, "skipped": 0}

    def run(self, archive, backup_format, *, objects_archive=None, expected=None, manifest=None):
        expected = expected or {}
        check_target(self.dbname)
        check_version(manifest)
        created_filestore = not os.path.exists(self.filestore)
        _logger.info("restore: creating database %s", self.dbname)
        db_service._create_empty_database(self.dbname)
        try:
            with HashingReader(archive) as reader:
                if backup_format == "dump":
                    self._pipe("pg_restore", ["--no-owner", "--exit-on-error"], reader)
                    while reader.read(CHUNK):  # what pg_restore left unread, for the hash
                        pass
                else:
                    self._read_zip(reader)
                self._check(reader, expected.get("backup"), "the backup")
            if objects_archive is not None:
                with HashingReader(objects_archive()) as reader:
                    self._read_zip(reader)
                    self._check(reader, expected.get("objects"), "the attachment objects")
            self._finish(manifest)
        except BaseException:
            _logger.warning("restore: failed, dropping the new database %s", self.dbname)
            self._drop(created_filestore)
            raise
        _logger.info("restore: database %s restored (%s)", self.dbname, self.stats)
        return self.stats

    # -- database ----------------------------------------------------------------

    def _pipe(self, tool, args, stream):
        """Run a PostgreSQL tool on the new database, ``stream`` as its input."""
        command = [find_pg_tool(tool), f"--dbname={self.dbname}", *args]
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(
                command,
                env=exec_pg_environ(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            try:
                try:
                    while chunk := stream.read(CHUNK):
                        process.stdin.write(chunk)
                except BrokenPipeError:
                    _logger.debug("restore: %s stopped reading; its exit code says why", tool)
                finally:
                    with contextlib.suppress(BrokenPipeError):
                        process.stdin.close()
                code = process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            if code:
                stderr.seek(0)
                output = stderr.read().decode(errors="replace").strip()[-2000:]
                raise BackupError(f"{tool} failed (exit code {code}): {output}")

    def _read_zip(self, stream):
        for member in iter_members(stream):
            name = member.name
            if name == "manifest.json":
                check_version(json.loads(read_up_to(member, BUFFERED_OBJECT) or b"{}"))
            elif name == "dump.sql":
                self._pipe("psql", ["--quiet", "--set=ON_ERROR_STOP=1", "--no-psqlrc"], member)
            elif name.startswith("filestore/") and not name.endswith("/"):
                self._write_file(name[len("filestore/") :], member)
            elif name.startswith("objects/") and not name.endswith("/"):
                self._store_object(name[len("objects/") :], member)
            else:
                self.stats["skipped"] += 1

    @staticmethod
    def _check(reader, expected, what):
        if not expected:
            return
        if (reader.size, reader.sha256) != (expected["size"], expected["sha256"]):
            raise BackupError(
                f"{what} read {reader.size} bytes with SHA-256 {reader.sha256}, the manifest "
                f"says {expected['size']} bytes with SHA-256 {expected['sha256']}: corrupted"
            )

    def _write_file(self, relative, member):
        validate_key(relative)  # no absolute path, no "..": stays in the filestore
        path = os.path.join(self.filestore, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as target:
            shutil.copyfileobj(member, target, CHUNK)
        self.stats["filestore_files"] += 1

    # -- attachment objects --------------------------------------------------------

    @property
    def registry(self):
        if self._registry is None:
            self._registry = Registry.new(self.dbname)
        return self._registry

    def _mark_restored_objects(self):
        """Tell the restored database, before its registry loads, that its
        attachment objects are being restored into its own space."""
        with contextlib.closing(db_connect(self.dbname).cursor()) as cr:
            cr.execute("SELECT 1 FROM pg_tables WHERE tablename = 'ir_config_parameter'")
            if cr.fetchone():
                cr.execute(
                    """
                    INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)
                    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                    """,
                    [RESTORED_OBJECTS_PARAM, self.dbname],
                )
                # before the registry loads: what it does when loading depends on it
                cr.commit()  # pylint: disable=invalid-commit

    def _driver(self, code):
        if code not in self._drivers:
            if self._registry is None:
                self._mark_restored_objects()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                backend = (
                    env["storage.backend"]
                    .with_context(active_test=False)
                    .search([("code", "=", code)], limit=1)
                )
                driver = backend._backup_object_space() if backend else None
                if driver is None:
                    raise BackupError(
                        f"the backup holds objects of backend {code!r}, which the restored "
                        "database does not have (or has no attachments on backends)"
                    )
                self._drivers[code] = driver
        return self._drivers[code]

    def _store_object(self, name, member):
        match = REMOTE_FNAME.match(name.replace("/", "://", 1))
        if not match:
            raise BackupError(f"unexpected object {name!r} in the backup")
        driver = self._driver(match["code"])
        head = read_up_to(member, BUFFERED_OBJECT + 1)
        # a short head is the whole object: read from memory, an upload can be retried
        content = bytes(head) if len(head) <= BUFFERED_OBJECT else _Prepend(head, member)
        try:
            driver.put(match["key"], content, overwrite=False)
            self.stats["objects"] += 1
        except ObjectExists:
            self.stats["objects_existing"] += 1  # already in this space: the same content

    # -- end -----------------------------------------------------------------------

    def _finish(self, manifest):
        registry = self.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param(RESTORED_OBJECTS_PARAM, False)
            if self.copy:
                env["ir.config_parameter"].init(force=True)  # a new database uuid
            if self.neutralize:
                neutralize_database(cr)
            if "storage.backup.policy" in env:
                source = (manifest or {}).get("database") or "?"
                env["storage.backup.policy"]._disable_after_restore(source)

    def _drop(self, created_filestore):
        with contextlib.suppress(Exception):
            Registry.delete(self.dbname)
        odoo.sql_db.close_db(self.dbname)
        try:
            with contextlib.closing(db_connect("postgres").cursor()) as cr:
                cr._cnx.autocommit = True
                db_service._drop_conn(cr, self.dbname)
                cr.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.dbname))
                )
        except Exception:
            _logger.exception("restore: could not drop %s", self.dbname)
        if created_filestore:
            shutil.rmtree(self.filestore, ignore_errors=True)


def read_up_to(stream, size):
    """Up to ``size`` bytes of ``stream``, fewer only at its end."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data


class _Prepend(ReadStream):
    """``head`` then the rest of ``stream``."""

    def __init__(self, head, stream):
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream

    def read(self, size=-1):  # pylint: disable=method-required-super
        if len(self._head):
            size = len(self._head) if size is None or size < 0 else size
            data, self._head = bytes(self._head[:size]), self._head[size:]
            return data
        return self._stream.read(size)
