# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Build a backup zip on the fly, into a stream that cannot seek.

The layout is Odoo's own (``odoo.service.db.dump_db``), so that Odoo's
database manager can restore it: ``manifest.json``, ``dump.sql`` and the
filestore under ``filestore/``. Attachment objects stored on backends go
under ``objects/<backend code>/<key>``, which Odoo's restore ignores and
ours puts back on the backends. Members are deflated; their sizes and CRCs
follow their data (zip data descriptors), since the output cannot seek.
"""

import json
import os
import shutil
import time
import zipfile
from dataclasses import dataclass

CHUNK = 1024 * 1024
# already compressed files (images, PDFs, office files) dominate filestores:
# the fastest level saves CPU where there is little to gain
FILE_COMPRESSLEVEL = 1
SQL_COMPRESSLEVEL = 6
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class ArchiveStats:
    filestore_files: int = 0
    filestore_bytes: int = 0
    objects: int = 0
    objects_bytes: int = 0
    objects_missing: int = 0


def _member(name, compresslevel, date_time=None):
    # zip dates start in 1980
    info = zipfile.ZipInfo(name, max(date_time or time.gmtime()[:6], ZIP_EPOCH))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = compresslevel  # no public setter before Python 3.13
    return info


def _add_stream(archive, name, stream, compresslevel):
    total = 0
    # sizes unknown in advance: always room for zip64 sizes (20 bytes each)
    with archive.open(_member(name, compresslevel), "w", force_zip64=True) as member:
        while chunk := stream.read(CHUNK):
            member.write(chunk)
            total += len(chunk)
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
            archive.writestr(
                _member("manifest.json", SQL_COMPRESSLEVEL), json.dumps(odoo_manifest, indent=4)
            )
        if dump is not None:
            _add_stream(archive, "dump.sql", dump, SQL_COMPRESSLEVEL)
        for name, content in objects:
            if content is None:
                stats.objects_missing += 1
                continue
            if isinstance(content, bytes):
                archive.writestr(_member(f"objects/{name}", FILE_COMPRESSLEVEL), content)
                size = len(content)
            else:
                with content:
                    size = _add_stream(archive, f"objects/{name}", content, FILE_COMPRESSLEVEL)
            stats.objects += 1
            stats.objects_bytes += size
        if filestore and os.path.isdir(filestore):
            for path, name in walk_filestore(filestore):
                try:
                    status = os.stat(path)
                    info = _member(
                        f"filestore/{name}",
                        FILE_COMPRESSLEVEL,
                        time.gmtime(status.st_mtime)[:6],
                    )
                    info.file_size = status.st_size  # decides whether zip64 is needed
                    with open(path, "rb") as source, archive.open(info, "w") as member:
                        shutil.copyfileobj(source, member, CHUNK)
                except FileNotFoundError:
                    continue  # collected by the garbage collector meanwhile
                stats.filestore_files += 1
                stats.filestore_bytes += status.st_size
    return stats
