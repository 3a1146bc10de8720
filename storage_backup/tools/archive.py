# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Build a backup zip on the fly, into a stream that cannot seek.

The layout is Odoo's own (``odoo.service.db.dump_db``), so that Odoo's
database manager can restore it: ``manifest.json``, ``dump.sql`` and the
filestore under ``filestore/``. Attachment objects stored on backends go
under ``objects/<backend code>/<key>``, which Odoo's restore ignores and
ours puts back on the backends. Sizes and CRCs follow each member's data
(zip data descriptors), since the output cannot seek.

Every member is deflated, so that a reader without the central directory
finds where each one ends. Files that do not compress (most of a
filestore: images, PDFs, office documents) are deflated at level 0, stored
blocks at disk speed, instead of costing a CPU core for nothing.
"""

import json
import os
import time
import zipfile
import zlib
from dataclasses import dataclass

CHUNK = 1024 * 1024
SQL_LEVEL = 6
FILE_LEVEL = 6
STORE_LEVEL = 0  # deflate's stored blocks
PROBE_SIZE = 64 * 1024
INCOMPRESSIBLE = 0.9  # compressed/original ratio of a probe above which a file is stored
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
ZIP64_SAFE = 1 << 30  # known sizes above this get zip64 sizes


@dataclass
class ArchiveStats:
    filestore_files: int = 0
    filestore_bytes: int = 0
    objects: int = 0
    objects_bytes: int = 0
    objects_missing: int = 0


def level_for(head):
    """Compression level for content starting with ``head``."""
    if len(head) < 256:
        return FILE_LEVEL
    probe = head[:PROBE_SIZE]
    compressed = len(zlib.compress(probe, 1))
    return STORE_LEVEL if compressed > INCOMPRESSIBLE * len(probe) else FILE_LEVEL


def _member(name, level, date_time=None):
    # zip dates start in 1980
    info = zipfile.ZipInfo(name, max(date_time or time.gmtime()[:6], ZIP_EPOCH))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = level  # no public setter before Python 3.13
    return info


def _add(archive, info, stream, first=b"", size=None):
    """Write member ``info``: ``first``, then the rest of ``stream``."""
    total = 0
    # unknown sizes always get room for zip64 sizes (20 bytes more)
    with archive.open(info, "w", force_zip64=size is None or size > ZIP64_SAFE) as member:
        chunk = first or stream.read(CHUNK)
        while chunk:
            member.write(chunk)
            total += len(chunk)
            chunk = stream.read(CHUNK)
    return total


def walk_filestore(root):
    """``(path, name)`` of the files under ``root``, in a stable order."""
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        for filename in sorted(files):
            path = os.path.join(folder, filename)
            yield path, os.path.relpath(path, root).replace(os.sep, "/")


def write_archive(sink, *, odoo_manifest=None, dump=None, objects=(), filestore=None):
    """Write the zip into ``sink``; return :class:`ArchiveStats`.

    ``objects`` yields ``(name, content)`` with bytes, a readable stream, or
    ``None`` for an object that could not be found.
    """
    stats = ArchiveStats()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        if odoo_manifest is not None:
            content = json.dumps(odoo_manifest, indent=4)
            archive.writestr(_member("manifest.json", SQL_LEVEL), content)
        if dump is not None:
            _add(archive, _member("dump.sql", SQL_LEVEL), dump)
        for name, content in objects:
            if content is None:
                stats.objects_missing += 1
                continue
            if isinstance(content, bytes):
                archive.writestr(_member(f"objects/{name}", level_for(content)), content)
                size = len(content)
            else:
                with content:
                    head = content.read(PROBE_SIZE)
                    info = _member(f"objects/{name}", level_for(head))
                    size = _add(archive, info, content, head)
            stats.objects += 1
            stats.objects_bytes += size
        if filestore and os.path.isdir(filestore):
            for path, name in walk_filestore(filestore):
                try:
                    with open(path, "rb") as source:
                        status = os.fstat(source.fileno())
                        head = source.read(PROBE_SIZE)
                        date_time = time.gmtime(status.st_mtime)[:6]
                        info = _member(f"filestore/{name}", level_for(head), date_time)
                        _add(archive, info, source, head, status.st_size)
                except FileNotFoundError:
                    continue  # collected by the garbage collector meanwhile
                stats.filestore_files += 1
                stats.filestore_bytes += status.st_size
    return stats
