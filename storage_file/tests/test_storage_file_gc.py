# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import os
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger

from odoo.addons.storage_file.models import storage_file as storage_file_model

from harness.ftp import FTPServer

from .common import StorageFileCase


class TestStorageFileGC(StorageFileCase):
    """Deleting marks; the collector deletes objects after commit, never a
    referenced one, and retries what failed."""

    def collect(self):
        self.Files._gc_storage_files_unsafe()

    def test_unlink_rolled_back_keeps_everything(self):
        storage_file = self.new_file()
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            storage_file.unlink()
            self.assertTrue(storage_file.to_delete)
            self.assertFalse(self.Files.search([("id", "=", storage_file.id)]))
            raise RuntimeError("abort")
        self.collect()
        storage_file.invalidate_recordset()
        self.assertFalse(storage_file.to_delete)
        self.assertTrue(storage_file.active)
        self.assertTrue(self.stored_content(storage_file))
        self.assertMetadataMatchesObject(storage_file)

    def test_unlink_then_commit_deletes_object_and_row(self):
        storage_file = self.new_file()
        path = storage_file.relative_path
        cron = self.env.ref("storage_file.ir_cron_storage_file_gc")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        storage_file.unlink()
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        self.assertEqual(self.stored_objects(), [path], "nothing is deleted before commit")
        with self.assertRaisesRegex(UserError, "cannot be restored"):
            storage_file.active = True
        self.collect()
        self.assertEqual(self.stored_objects(), [])
        self.assertFalse(storage_file.exists())

    def test_shared_object_lives_while_a_file_refers_to_it(self):
        first = self.new_file(b"shared", name="one.txt")
        second = self.new_file(b"shared", name="two.txt")
        archived = self.new_file(b"shared", name="three.txt")
        archived.active = False
        first.unlink()
        self.collect()
        self.assertFalse(first.exists())
        self.assertEqual(self.stored_objects(), [second.relative_path])
        second.unlink()
        self.collect()
        self.assertEqual(self.stored_objects(), [archived.relative_path], "archived is kept")
        archived.unlink()
        self.collect()
        self.assertEqual(self.stored_objects(), [])

    def test_recreating_deleted_content_before_collection(self):
        doomed = self.new_file(b"phoenix", name="old.txt")
        doomed.unlink()
        reborn = self.new_file(b"phoenix", name="new.txt")
        self.collect()
        self.assertEqual(self.stored_objects(), [reborn.relative_path])
        self.assertMetadataMatchesObject(reborn)

    def test_upload_of_a_rolled_back_creation_is_collected(self):
        kept = self.new_file(b"kept", name="kept.txt")
        for strategy in ("hash", "name_with_id"):
            self.backend.filename_strategy = strategy
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                self.new_file(b"orphan " + strategy.encode(), name="orphan.txt")
                raise RuntimeError("abort")
        self.assertEqual(len(self.stored_objects()), 3)
        self.collect()
        self.assertEqual(self.stored_objects(), [kept.relative_path])

    def test_cron_entry_point(self):
        storage_file = self.new_file()
        storage_file.unlink()
        self.env.flush_all()
        # the cron commits: run it on a test cursor, a savepoint of this transaction
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        with self.registry.cursor() as cr:
            self.assertTrue(self.Files.with_env(self.env(cr=cr))._gc_storage_files())
        self.assertEqual(self.stored_objects(), [])
        self.assertFalse(storage_file.exists())

    def test_unavailable_backend_is_retried_later(self):
        server = FTPServer().start()
        self.addCleanup(server.stop)
        backend = self.new_backend(backend_type="fs_url", fs_url=server.url, directory_path=False)
        storage_file = self.new_file(b"remote", name="remote.txt", backend=backend)
        # an FTP server may serve several databases: each has its own folder
        path = os.path.join(server.root, self.env.cr.dbname, storage_file.relative_path)
        self.assertTrue(os.path.exists(path))
        local = self.new_file(b"local", name="local.txt")
        (storage_file | local).unlink()
        server.kill()
        failed = set()
        with (
            mute_logger("odoo.addons.storage_backend.storage_drivers.base"),
            self.assertLogs("odoo.addons.storage_file.models.storage_file", "WARNING") as logs,
        ):
            self.Files._gc_storage_files_unsafe(failed=failed)
        self.assertIn("will retry later", logs.output[0])
        self.assertEqual(failed, {backend.id})
        self.assertTrue(storage_file.exists(), "the row waits for the object")
        self.assertFalse(local.exists(), "other backends are not held up")
        # later batches of the same run skip the failed backend: no starving
        other = self.new_file(b"other", name="other.txt")
        other.unlink()
        with self.assertNoLogs("odoo.addons.storage_file.models.storage_file", "WARNING"):
            self.Files._gc_storage_files_unsafe(1, failed)
        self.assertFalse(other.exists())
        self.assertTrue(os.path.exists(path))
        server.start()
        self.collect()
        self.assertFalse(storage_file.exists())
        self.assertFalse(os.path.exists(path))


class TestStorageFileGCConcurrency(TransactionCase):
    """Real concurrent transactions, on cursors of their own."""

    def test_collector_waits_for_writers_then_removes_their_rolled_back_upload(self):
        with self.registry.cursor() as writer_cr, self.registry.cursor() as collector_cr:
            writer = api.Environment(writer_cr, SUPERUSER_ID, {})["storage.file"]
            collector = api.Environment(collector_cr, SUPERUSER_ID, {})["storage.file"]
            self.assertTrue(collector._gc_storage_files(), "nothing in the way")
            content = f"uncommitted {uuid.uuid4()}".encode()
            storage_file = writer.create({"name": "u.txt", "data": base64.b64encode(content)})
            driver, key = storage_file.backend_id._get_driver(), storage_file.relative_path
            self.assertEqual(driver.get(key), content)
            with patch.object(storage_file_model, "GC_LOCK_TIMEOUT", "200ms"):
                self.assertFalse(collector._gc_storage_files(), "a writer is active")
            self.assertTrue(driver.exists(key))
            writer_cr.rollback()
            self.assertTrue(collector._gc_storage_files())
            self.assertFalse(driver.exists(key))
