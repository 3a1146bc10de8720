"""Duplicate and drop databases with remote attachments, for real.

Through ``odoo-bin db`` (the command line) and through the database manager
of a running server: both go through ``odoo.service.db``.
"""

import json
import os
import time
import urllib.parse
import urllib.request

import pytest

from .conftest import MASTER_PASSWORD

DIRECTORY = "attachments"

SETUP = f"""
import hashlib, json
env["storage.backend"].create({{
    "name": "Files", "code": "files", "backend_type": "filesystem",
    "directory_path": "{DIRECTORY}",
}})
env["ir.config_parameter"].set_param("ir_attachment.location", "files")
payloads = [hashlib.sha256(str(i).encode()).digest() * (200 + i) for i in range(6)]
records = env["ir.attachment"].create(
    [{{"name": f"f{{i}}", "raw": data, "mimetype": "application/pdf"}}
     for i, data in enumerate(payloads)]
)
env.cr.commit()
print("RESULT", json.dumps(records.mapped("store_fname")))
"""

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


def result_of(output):
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def objects(odoo, database):
    root = odoo.storage_root(database, DIRECTORY)
    return {
        f"{folder}/{name}"
        for folder in (os.listdir(root) if os.path.isdir(root) else [])
        for name in os.listdir(os.path.join(root, folder))
    }


def post(odoo, path, **fields):
    data = urllib.parse.urlencode({"master_pwd": MASTER_PASSWORD, **fields}).encode()
    with urllib.request.urlopen(f"{odoo.url}{path}", data=data, timeout=600) as response:
        assert response.status == 200, response.status


@pytest.fixture(scope="module")
def source_db(odoo_instance):
    odoo_instance.run(
        "-c",
        odoo_instance.config,
        "-d",
        "src",
        "-i",
        "ir_attachment_object_store",
        "--without-demo=all",
        "--stop-after-init",
    )
    fnames = result_of(odoo_instance.shell("src", SETUP))
    keys = {fname.split("://")[1] for fname in fnames}
    assert objects(odoo_instance, "src") == keys
    return keys


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
