# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""PostgreSQL side of backups: a consistent snapshot and pg_dump on it."""

import contextlib
import subprocess
import tempfile

import odoo.release
from odoo.sql_db import db_connect
from odoo.tools import exec_pg_environ, find_pg_tool

from .streams import ProcessReader


@contextlib.contextmanager
def exported_snapshot(dbname):
    """``(cursor, snapshot id)``: a transaction whose snapshot pg_dump shares.

    What is read on the cursor (modules, remote attachment names) is exactly
    what the dump contains. The transaction stays open until the block ends,
    as PostgreSQL requires while pg_dump imports the snapshot.
    """
    with contextlib.closing(db_connect(dbname).cursor()) as cr:  # repeatable read
        cr.execute("SELECT pg_export_snapshot()")
        yield cr, cr.fetchone()[0]


def odoo_manifest(cr):
    """``manifest.json`` of an Odoo dump, as ``odoo.service.db.dump_db_manifest``
    writes it (which refuses to run when database listing is disabled)."""
    major, minor = divmod(cr._cnx.server_version / 100, 100)
    pg_version = f"{int(major)}.{int(minor)}"
    cr.execute("SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'")
    return {
        "odoo_dump": "1",
        "db_name": cr.dbname,
        "version": odoo.release.version,
        "version_info": odoo.release.version_info,
        "major_version": odoo.release.major_version,
        "pg_version": pg_version,
        "modules": dict(cr.fetchall()),
    }


def start_pg_dump(dbname, backup_format, snapshot=None):
    """A :class:`ProcessReader` of ``pg_dump``: plain SQL for the zip format,
    PostgreSQL's compressed custom format for ``dump``."""
    command = [find_pg_tool("pg_dump"), "--no-owner"]
    if backup_format == "dump":
        command.append("--format=c")
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    command.append(f"--dbname={dbname}")
    # a few lines, read only when pg_dump fails; closed by the ProcessReader
    stderr = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        process = subprocess.Popen(
            command,
            env=exec_pg_environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    except BaseException:
        stderr.close()
        raise
    return ProcessReader(process, "pg_dump", stderr)
