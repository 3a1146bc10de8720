"""``odoo-bin object-store``: migrate a filestore to a backend and back, for real."""

import os
import re

from .conftest import objects, result_of

FILESTORE = """
import hashlib, json
env["ir.config_parameter"].set_param("ir_attachment.location", "file")
payloads = [hashlib.sha256(b"cli" + bytes([i])).digest() * (300 + i) for i in range(8)]
records = env["ir.attachment"].create(
    [{"name": "c", "raw": data, "mimetype": "application/pdf"} for data in payloads]
)
env["ir.config_parameter"].set_param("ir_attachment.location", "files")
env.cr.commit()
print("RESULT", json.dumps(records.mapped("store_fname")))
"""

STATE = """
import hashlib, json
records = env["ir.attachment"].search([("name", "=", "c")])
print("RESULT", json.dumps({
    r.store_fname: hashlib.sha1(r.raw).hexdigest() == r.checksum for r in records
}))
"""


def migrate(odoo, *options):
    """Run the command; how many files it moved (the database has more than ours)."""
    output = odoo.run("object-store", "migrate", "-c", odoo.config, "-d", "cli_db", *options)
    done, total = re.search(r"(?:would move|moved): (\d+)/(\d+) files", output).groups()
    assert done == total, output
    return int(done)


def test_migrate_command(odoo_instance, source_db):
    odoo = odoo_instance
    odoo.run("db", "-c", odoo.config, "duplicate", "src", "cli_db")
    local = result_of(odoo.shell("cli_db", FILESTORE))
    local_paths = [os.path.join(odoo.data_dir, "filestore", "cli_db", name) for name in local]
    assert all(os.path.exists(path) for path in local_paths)

    pending = migrate(odoo, "--to", "files", "--dry-run")
    assert pending >= 8
    assert not any(name.startswith("files://") for name in result_of(odoo.shell("cli_db", STATE)))

    assert migrate(odoo, "--to", "files", "--transfers", "3", "--remove-local") == pending
    state = result_of(odoo.shell("cli_db", STATE))
    assert sorted(state) == sorted(f"files://{name}" for name in local)
    assert all(state.values())  # every file reads back with its checksum
    assert not any(os.path.exists(path) for path in local_paths)
    assert set(local) <= objects(odoo, "cli_db")

    # back to the filestore, and nothing left to do afterwards
    assert migrate(odoo, "--to", "file") >= 8
    assert all(result_of(odoo.shell("cli_db", STATE)).values())
    assert migrate(odoo, "--to", "file") == 0
    odoo.run("object-store", "gc", "-c", odoo.config, "-d", "cli_db")
    assert not set(local) & objects(odoo, "cli_db")
