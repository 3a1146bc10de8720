# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Make one backup: dump, stream to the backend, verify, write the manifest."""

import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from odoo.addons.storage_backend.storage_drivers import IntegrityError, StorageError

from . import naming
from .archive import ArchiveStats, write_archive
from .objects import ObjectReader, remote_objects
from .pg import exported_snapshot, odoo_manifest, start_pg_dump
from .streams import HashingReader, ProducerReader

_logger = logging.getLogger(__name__)
MANIFEST_VERSION = 1
CONTENT_TYPES = {"zip": "application/zip", "dump": "application/octet-stream"}


@dataclass
class BackupSettings:
    dbname: str
    backup_format: str  # "zip" (Odoo's, with the filestore) or "dump" (pg_dump -Fc)
    prefix: str  # ends with "/" or is empty
    filestore: str | None = None
    include_objects: bool = False
    verify_read_back: bool = False
    encrypted: bool = False
    label: str = ""  # the policy, for the manifest
    lock_mode: str | None = None  # S3 Object Lock: GOVERNANCE or COMPLIANCE
    lock_days: int = 0


class BackupRun:
    """One backup of ``settings.dbname`` onto ``driver``.

    Nothing touches local disk and memory holds a few chunks: pg_dump's
    output and the archive flow through pipes into ``driver.put``. The
    archive only counts once its manifest exists, which is written after the
    stored size (and, when asked, a read-back SHA-256) matched what was sent.
    A failure deletes what this run stored and nothing else.
    """

    def __init__(self, driver, settings, *, object_drivers=None, now):
        self.driver = driver
        self.settings = settings
        self.objects = ObjectReader(object_drivers or {})
        self.created = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now
        self.stem = naming.stem_of(settings.dbname, self.created)
        self.stats = ArchiveStats()
        self._written = []
        self.retain_until = None
        if settings.lock_mode:  # from the real clock: the server refuses past dates
            self.retain_until = datetime.now(timezone.utc) + timedelta(days=settings.lock_days)

    def run(self):
        started = time.monotonic()
        try:
            files, modules = self._upload_all()
            for entry in files.values():
                self._verify(entry)
            manifest = self._manifest(files, modules, time.monotonic() - started)
            key = naming.manifest_key(self.settings.prefix, self.stem)
            self.driver.put(
                key,
                json.dumps(manifest, indent=2, sort_keys=True).encode(),
                content_type="application/json",
                overwrite=False,
            )
            self._lock(key)
        except BaseException:
            self._delete_written()
            raise
        return manifest

    # -- upload ------------------------------------------------------------------

    def _upload_all(self):
        settings = self.settings
        prefix = settings.prefix
        files = {}
        with exported_snapshot(settings.dbname) as (cr, snapshot):
            odoo = odoo_manifest(cr)
            objects = remote_objects(cr) if settings.include_objects else None
            if settings.backup_format == "zip":

                def produce(sink):
                    with start_pg_dump(settings.dbname, "zip", snapshot) as dump:
                        self.stats = write_archive(
                            sink,
                            odoo_manifest=odoo,
                            dump=dump,
                            objects=self.objects.iter_contents(objects or ()),
                            filestore=settings.filestore,
                        )

                key = naming.archive_key(prefix, self.stem, "zip")
                files["backup"] = self._upload(key, ProducerReader(produce), "zip")
            else:
                key = naming.archive_key(prefix, self.stem, "dump")
                dump = start_pg_dump(settings.dbname, "dump", snapshot)
                files["backup"] = self._upload(key, dump, "dump")
                if objects is not None:

                    def produce_objects(sink):
                        self.stats = write_archive(
                            sink, objects=self.objects.iter_contents(objects)
                        )

                    key = naming.objects_key(prefix, self.stem)
                    files["objects"] = self._upload(key, ProducerReader(produce_objects), "zip")
        return files, odoo

    def _upload(self, key, stream, kind):
        with HashingReader(stream) as reader:
            self.driver.put(key, reader, content_type=CONTENT_TYPES[kind], overwrite=False)
            self._written.append(key)
            self._lock(key)
            _logger.info("backup: stored %s (%d bytes) on %s", key, reader.size, self.driver.label)
            return {"key": key, "size": reader.size, "sha256": reader.sha256}

    def _verify(self, entry):
        stored = self.driver.stat(entry["key"]).size
        if stored != entry["size"]:
            raise IntegrityError(
                f"{entry['key']} holds {stored} bytes on {self.driver.label}, "
                f"{entry['size']} were sent"
            )
        if self.settings.verify_read_back:
            with HashingReader(self.driver.open(entry["key"])) as reader:
                while reader.read(1024 * 1024):
                    pass
            if (reader.size, reader.sha256) != (entry["size"], entry["sha256"]):
                raise IntegrityError(f"{entry['key']} reads back different from what was sent")

    def _lock(self, key):
        """Make ``key`` immutable until ``retain_until`` (S3 Object Lock), if asked."""
        if self.retain_until:
            self.driver.lock(key, self.settings.lock_mode, self.retain_until)

    def _delete_written(self):
        for key in self._written:
            try:
                self.driver.delete(key)
            except StorageError as error:
                _logger.warning("backup: could not delete the failed %s: %s", key, error)

    # -- manifest ----------------------------------------------------------------

    def _manifest(self, files, odoo, seconds):
        settings, stats = self.settings, self.stats
        return {
            "manifest_version": MANIFEST_VERSION,
            "database": settings.dbname,
            "created_at": self.created.isoformat(timespec="seconds"),
            "format": settings.backup_format,
            "encrypted": settings.encrypted,
            "policy": settings.label,
            "host": socket.gethostname(),
            "odoo_version": odoo["version"],
            "odoo_major_version": odoo["major_version"],
            "pg_version": odoo["pg_version"],
            "modules": odoo["modules"],
            "files": files,
            "size": sum(entry["size"] for entry in files.values()),
            "filestore": {"files": stats.filestore_files, "bytes": stats.filestore_bytes}
            if settings.backup_format == "zip"
            else None,
            "objects": {
                "count": stats.objects,
                "bytes": stats.objects_bytes,
                "missing": stats.objects_missing,
            }
            if settings.include_objects
            else None,
            "object_lock": {
                "mode": settings.lock_mode,
                "retain_until": self.retain_until.isoformat(timespec="seconds"),
            }
            if self.retain_until
            else None,
            "duration_seconds": round(seconds, 3),
            "verified": "sha256 read back" if settings.verify_read_back else "size",
        }
