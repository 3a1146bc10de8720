"""Back up and restore real databases with storage_backup, on a real S3 server.

Restoring creates databases, which an Odoo test transaction cannot do: these
tests drive ``odoo-bin`` (the command line, ``shell``, ``db load``) and a
running server (XML-RPC, as the restore wizard is called from the web
client).
"""

import json
import os
import uuid
import xmlrpc.client
from unittest.mock import patch

import pytest

from harness.seaweedfs import created_bucket, shared_settings
from storage_drivers.master_keys import generate_key

from .conftest import MASTER_PASSWORD, result_of

MODULES = "storage_backup,storage_backend_s3,ir_attachment_object_store,storage_keymanager"
MASTER_KEYS = "STORAGE_KEYMANAGER_MASTER_KEYS"

SETUP = """
import json, os
s3 = json.loads(os.environ["STORAGE_TEST_S3"])
backend = env["storage.backend"].create({{
    "name": "S3", "code": "s3files", "backend_type": "s3", "aws_host": s3["endpoint_url"],
    "aws_region": s3["region"], "aws_bucket": "{bucket}", "directory_path": "files",
    "aws_access_key_id": s3["access_key"], "aws_secret_access_key": s3["secret_key"],
}})
local = env["ir.attachment"].create({{"name": "local.pdf", "raw": b"%PDF-1.7 on disk"}})
env["ir.config_parameter"].set_param("ir_attachment.location", "s3files")
remote = env["ir.attachment"].create([
    {{"name": f"remote{{i}}.pdf", "raw": b"%PDF-1.7 remote " + bytes([i]) * (1000 * i + 1),
     "mimetype": "application/pdf"}} for i in range(5)
])
env["res.partner"].create({{"name": "Backup Check Partner", "ref": "restored intact"}})
for fmt in ("zip", "dump"):
    env["storage.backup.policy"].create({{
        "name": fmt, "backend_id": backend.id, "prefix": "backups/" + fmt + "/{{db}}",
        "backup_format": fmt, "include_objects": True,
    }})
encrypted = backend.copy({{"name": "Encrypted", "code": "s3enc", "encrypt_files": True,
                          "directory_path": "encrypted"}})
env["storage.backup.policy"].create({{
    "name": "enc", "backend_id": encrypted.id, "backup_format": "dump",
}})
env.cr.commit()
print("RESULT", json.dumps({{
    "local": local.store_fname, "remote": remote.mapped("store_fname"),
    "uuid": env["ir.config_parameter"].get_param("database.uuid"),
}}))
"""

CHECK = """
import hashlib, json
atts = env["ir.attachment"].search([("name", "like", "%.pdf"), ("res_model", "=", False)])
policies = env["storage.backup.policy"].with_context(active_test=False).search([])
params = env["ir.config_parameter"]
print("RESULT", json.dumps({
    "files": {a.name: [a.store_fname, bool(a.raw) and hashlib.sha1(a.raw).hexdigest() == a.checksum]
              for a in atts},
    "partner": env["res.partner"].search([("name", "=", "Backup Check Partner")]).ref,
    "policies": sorted([p.name, p.active, p.cron_id.active] for p in policies),
    "owner": params.get_param("ir_attachment_object_store.database"),
    "copy_source": params.get_param("ir_attachment_object_store.copy_source"),
    "copy_jobs": env["ir.attachment.migration"].search_count([("kind", "=", "copy")]),
    "uuid": params.get_param("database.uuid"),
}))
"""


@pytest.fixture(scope="module")
def s3_bucket():
    settings = shared_settings()
    bucket = f"it-backup-{uuid.uuid4().hex[:10]}"
    driver = created_bucket(settings, bucket)
    os.environ.setdefault("STORAGE_TEST_S3", json.dumps(settings))  # for odoo-bin
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def master_key():
    """A master key for the odoo-bin processes of this module."""
    with patch.dict(os.environ, {MASTER_KEYS: f"k1:{generate_key()}"}):
        yield


@pytest.fixture(scope="module")
def backed_up(odoo_instance, s3_bucket, master_key):
    """Database bk_src with files on disk and on S3, backed up from the command
    line by its three policies (zip, dump, dump on an encrypting backend)."""
    odoo = odoo_instance
    odoo.run(
        "-c", odoo.config, "-d", "bk_src", "-i", MODULES, "--without-demo=all", "--stop-after-init"
    )
    source = result_of(odoo.shell("bk_src", SETUP.format(bucket=s3_bucket.bucket)))
    output = odoo.run("storage-backup", "backup", "-c", odoo.config, "-d", "bk_src")
    assert "zip: " in output and "enc: " in output and "5 attachment objects" in output, output
    return source


def restore_command(odoo, policy, backup, target):
    return (
        *("storage-backup", "restore", "-c", odoo.config, "-d", "bk_src", "--policy", policy),
        *("--backup", backup, "--to", target),
    )


def remote_keys(source):
    return [fname.split("://")[1] for fname in source["remote"]]


def check_restored(odoo, dbname, source, s3_bucket, *, filestore=True):
    state = result_of(odoo.shell(dbname, CHECK))
    names = {f"remote{i}.pdf" for i in range(5)} | ({"local.pdf"} if filestore else set())
    assert {name for name, (__, ok) in state["files"].items() if ok} == names, state["files"]
    assert state["partner"] == "restored intact"
    # a copy never writes into the original's backups
    assert state["policies"] == [[name, False, False] for name in ("dump", "enc", "zip")]
    assert state["uuid"] != source["uuid"]
    # objects are in the restored database's own space, not read from bk_src's
    assert (state["owner"], state["copy_source"], state["copy_jobs"]) == (dbname, False, 0)
    own = set(s3_bucket.list(f"files/{dbname}/"))
    assert own == {f"files/{dbname}/{key}" for key in remote_keys(source)}
    return state


def test_command_line_lists_and_restores_a_zip(odoo_instance, backed_up, s3_bucket):
    odoo = odoo_instance
    listing = odoo.run(
        "storage-backup", "list", "-c", odoo.config, "-d", "bk_src", "--policy", "zip"
    )
    (line,) = [line for line in listing.splitlines() if "\t" in line]  # not the log
    name, backup_format, state = line.split("\t")[:3]
    assert (backup_format, state) == ("zip", "complete") and name.startswith("bk_src_")

    odoo.run(*restore_command(odoo, "zip", "latest", "bk_zip"))
    check_restored(odoo, "bk_zip", backed_up, s3_bucket)

    # never over an existing database, which stays as it was
    output = odoo.run_failing(*restore_command(odoo, "zip", name, "bk_src"))
    assert "already exists" in output
    state = result_of(odoo.shell("bk_src", CHECK))
    assert state["policies"] == [[name, True, True] for name in ("dump", "enc", "zip")]


def test_odoo_restores_the_zip_itself(odoo_instance, backed_up, s3_bucket, tmp_path):
    """Odoo's own restore (``odoo-bin db load``, the database manager's code)
    reads the zip: database and filestore; objects are then read from the
    original's space and copied by ir_attachment_object_store."""
    odoo = odoo_instance
    (key,) = [key for key in s3_bucket.list("files/backups/zip/bk_src/") if key.endswith(".zip")]
    archive = tmp_path / "backup.zip"
    with s3_bucket.open(key) as stream, open(archive, "wb") as target:
        while chunk := stream.read(1024 * 1024):
            target.write(chunk)
    odoo.run("db", "-c", odoo.config, "load", "bk_odoo", str(archive))
    state = result_of(odoo.shell("bk_odoo", CHECK))
    assert all(ok for __, ok in state["files"].values()) and len(state["files"]) == 6
    assert state["partner"] == "restored intact"
    assert state["policies"] == [[name, False, False] for name in ("dump", "enc", "zip")]
    assert (state["copy_source"], state["copy_jobs"]) == ("bk_src", 1)


def test_restore_wizard_with_the_master_password(odoo_instance, backed_up, s3_bucket):
    odoo = odoo_instance
    odoo.start_server()
    uid = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common").authenticate(
        "bk_src", "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args):
        return models.execute_kw("bk_src", uid, "admin", model, method, list(args))

    (policy,) = call("storage.backup.policy", "search", [("name", "=", "dump")])
    call("storage.backup.policy", "action_refresh_backups", [policy])
    (backup,) = call("storage.backup", "search", [("policy_id", "=", policy)])
    wizard = call(
        "storage.backup.restore",
        "create",
        {"backup_id": backup, "database_name": "bk_dump", "master_password": "wrong"},
    )
    refused = call("storage.backup.restore", "action_restore", [wizard])
    assert refused["params"]["message"] == "Wrong master password."
    call("storage.backup.restore", "write", [wizard], {"master_password": MASTER_PASSWORD})
    result = call("storage.backup.restore", "action_restore", [wizard])
    assert result["params"]["title"] == "Database restored"
    # a dump has no filestore: only the attachments stored on S3 come back
    check_restored(odoo, "bk_dump", backed_up, s3_bucket, filestore=False)


def test_encrypted_backup_restores_only_with_its_key(odoo_instance, backed_up, s3_bucket):
    odoo = odoo_instance
    (key,) = [key for key in s3_bucket.list("encrypted/backups/bk_src/") if key.endswith("dump")]
    with s3_bucket.open(key) as stored:
        assert not stored.read(5).startswith(b"PGDMP")  # ciphertext at rest
    restore = restore_command(odoo, "enc", "latest", "bk_enc")
    output = odoo.run_failing(*restore, env={MASTER_KEYS: f"k2:{generate_key()}"})
    assert "encrypted under master key" in output and "not configured" in output
    odoo.run(*restore)  # with its key; the failed attempt left no database behind
    state = result_of(odoo.shell("bk_enc", CHECK))
    assert state["partner"] == "restored intact"
    assert state["policies"] == [[name, False, False] for name in ("dump", "enc", "zip")]
