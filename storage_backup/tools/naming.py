# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How backups are named on a backend.

One backup is a few objects sharing a stem ``<database>_<UTC timestamp>``
under the policy's prefix: the archive (``.zip`` or ``.dump``), for dumps
with attachment objects a companion ``.objects.zip``, and the sidecar
``.manifest.json``, written last, once the archive is verified: a backup
without its manifest never counts.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
ARCHIVE_SUFFIXES = {"zip": "zip", "dump": "dump"}
OBJECTS_SUFFIX = "objects.zip"
MANIFEST_SUFFIX = "manifest.json"
NAME = re.compile(
    r"^(?P<db>[A-Za-z0-9][A-Za-z0-9_.-]*)_(?P<stamp>\d{8}T\d{6}Z)"
    r"\.(?P<suffix>objects\.zip|manifest\.json|zip|dump)$"
)


def stem_of(dbname, created):
    """``<database>_<timestamp>`` for a backup made at ``created`` (aware or UTC)."""
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc)
    return f"{dbname}_{created.strftime(STAMP_FORMAT)}"


def archive_key(prefix, stem, backup_format):
    return f"{prefix}{stem}.{ARCHIVE_SUFFIXES[backup_format]}"


def objects_key(prefix, stem):
    return f"{prefix}{stem}.{OBJECTS_SUFFIX}"


def manifest_key(prefix, stem):
    return f"{prefix}{stem}.{MANIFEST_SUFFIX}"


@dataclass
class BackupEntry:
    """A backup as found on the backend: its objects grouped by stem."""

    prefix: str
    stem: str
    database: str
    created: datetime  # naive UTC, as Odoo stores datetimes
    backup_format: str | None = None
    size: int = 0
    objects_size: int = 0
    has_manifest: bool = False
    keys: list = field(default_factory=list)
    lock: object = None  # the archive's ObjectLock, when the policy locks backups
    retention_blocked: bool = False  # the retention would delete it, the lock forbids

    def lock_label(self):
        if self.lock is None:
            return ""
        if self.lock.legal_hold:
            return "legal hold"
        return (
            self.lock.retain_until.isoformat(timespec="seconds") if self.lock.retain_until else ""
        )

    @property
    def complete(self):
        return self.has_manifest and self.backup_format is not None

    @property
    def archive_key(self):
        return archive_key(self.prefix, self.stem, self.backup_format or "zip")

    @property
    def manifest_key(self):
        return manifest_key(self.prefix, self.stem)

    @property
    def objects_key(self):
        return objects_key(self.prefix, self.stem)


def group_backups(stats, prefix):
    """``{stem: BackupEntry}`` from a listing (``ObjectStat``) of ``prefix``.

    Only objects right under the prefix and named like backups count;
    anything else in the folder is ignored, never deleted.
    """
    entries = {}
    for stat in stats:
        name = stat.key[len(prefix) :]
        match = NAME.match(name) if stat.key.startswith(prefix) else None
        if not match:
            continue
        stem = f"{match['db']}_{match['stamp']}"
        entry = entries.get(stem)
        if entry is None:
            created = datetime.strptime(match["stamp"], STAMP_FORMAT)
            entry = entries[stem] = BackupEntry(prefix, stem, match["db"], created)
        entry.keys.append(stat.key)
        suffix = match["suffix"]
        if suffix == MANIFEST_SUFFIX:
            entry.has_manifest = True
        elif suffix == OBJECTS_SUFFIX:
            entry.objects_size = stat.size
        else:
            entry.backup_format = suffix
            entry.size = stat.size
    return entries
