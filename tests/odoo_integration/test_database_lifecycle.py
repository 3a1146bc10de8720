"""Duplicate and drop databases with remote attachments, for real.

Through ``odoo-bin db`` (the command line) and through the database manager
of a running server: both go through ``odoo.service.db``.
"""

import time
import urllib.parse
import urllib.request

from .conftest import MASTER_PASSWORD, objects, result_of

CHECK = """
import hashlib, json
records = env["ir.attachment"].search([("store_fname", "=like", "files://%")])
print("RESULT", json.dumps({
    r.store_fname: hashlib.sha1(r.raw).hexdigest() == r.checksum for r in records
}))
"""

COPY = """
import json
env["ir.attachment.migration"]._cron_run()
env.cr.commit()
job = env["ir.attachment.migration"].search([("kind", "=", "copy")])
print("RESULT", json.dumps([job.state, job.source_dbname, job.done_count,
      env["ir.config_parameter"].get_param("ir_attachment_object_store.copy_source")]))
"""


def post(odoo, path, **fields):
    data = urllib.parse.urlencode({"master_pwd": MASTER_PASSWORD, **fields}).encode()
    with urllib.request.urlopen(f"{odoo.url}{path}", data=data, timeout=600) as response:
        assert response.status == 200, response.status


def test_command_line_duplicate_then_drop(odoo_instance, source_db):
    odoo = odoo_instance
    odoo.run("db", "-c", odoo.config, "duplicate", "src", "dup_cli")
    # usable at once: files are read from the original until copied
    assert objects(odoo, "dup_cli") == set()
    assert all(result_of(odoo.shell("dup_cli", CHECK)).values())
    state, source, copied, copy_source = result_of(odoo.shell("dup_cli", COPY))
    assert (state, source, copied, copy_source) == ("done", "src", 6, False)
    assert objects(odoo, "dup_cli") == source_db
    assert all(result_of(odoo.shell("dup_cli", CHECK)).values())

    odoo.run("db", "-c", odoo.config, "drop", "dup_cli")
    assert objects(odoo, "dup_cli") == set()
    assert objects(odoo, "src") == source_db


def test_database_manager_duplicate_then_drop(odoo_instance, source_db):
    odoo = odoo_instance
    odoo.start_server()
    post(odoo, "/web/database/duplicate", name="src", new_name="dup_web")
    assert all(result_of(odoo.shell("dup_web", CHECK)).values())
    assert result_of(odoo.shell("dup_web", COPY))[0] == "done"
    assert objects(odoo, "dup_web") == source_db

    post(odoo, "/web/database/drop", name="dup_web")
    deadline = time.monotonic() + 60  # the manager deletes in the background
    while objects(odoo, "dup_web") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert objects(odoo, "dup_web") == set()
    assert objects(odoo, "src") == source_db
