# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os

from ..tools.migration import AttachmentMigration, MigrationStopped
from .common import ObjectStoreCase, PrivateServerBackend


class MigrationCase(ObjectStoreCase):
    def setUp(self):
        super().setUp()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM ir_attachment")
        self.baseline_id = self.env.cr.fetchone()[0]

    def migrate(self, target, **options):
        """Migrate the attachments of this test (the database has others)."""
        options.setdefault("batch_size", 5)
        self.env.cr.execute("SELECT id FROM ir_attachment WHERE id > %s", [self.baseline_id])
        options["ids"] = [row[0] for row in self.env.cr.fetchall()]
        options.setdefault("workers", 4)
        return AttachmentMigration(self.env, target, commit=lambda: None, **options).run()

    def make_filestore_attachments(self, count=12):
        self.use_location("file")
        payloads = [self.unique_data(3000 + index) for index in range(count)]
        attachments = self.Attachment.create(
            [
                {"name": f"f{i}", "raw": data, "mimetype": "application/pdf"}
                for i, data in enumerate(payloads)
            ]
        )
        self.use_location(self.backend.code)
        for attachment in attachments:
            self.addCleanup(self.remove_local, attachment.checksum)
        return attachments, payloads

    def remove_local(self, checksum):
        path = self.Attachment._full_path(f"{checksum[:2]}/{checksum}")
        if os.path.exists(path):
            os.remove(path)

    def assert_all_remote_and_identical(self, attachments, payloads):
        attachments.invalidate_recordset()
        for attachment, data in zip(attachments, payloads, strict=True):
            key = self.key_of(data)
            self.assertEqual(attachment.store_fname, f"{self.backend.code}://{key}")
            self.assertEqual(self.driver.get(key), data)
            self.remove_local(attachment.checksum)  # reads must now come from the backend
            attachment.invalidate_recordset()
            self.assertEqual(attachment.raw, data)


class TestMigration(MigrationCase):
    def test_filestore_to_backend_keeps_local_copies_unless_asked(self):
        attachments, payloads = self.make_filestore_attachments()
        local_paths = [self.Attachment._full_path(a.store_fname) for a in attachments]
        progress = self.migrate(self.backend.code)
        self.assertEqual((progress.done_count, progress.failed_count), (12, 0))
        self.assertEqual(progress.done_bytes, sum(len(data) for data in payloads))
        self.assertTrue(all(os.path.exists(path) for path in local_paths))
        self.assertIn("12/12 files", progress.summary())
        self.assert_all_remote_and_identical(attachments, payloads)

    def test_remove_local_after_switch(self):
        attachments, payloads = self.make_filestore_attachments(6)
        local_paths = [self.Attachment._full_path(a.store_fname) for a in attachments]
        self.migrate(self.backend.code, remove_local=True)
        self.assertFalse(any(os.path.exists(path) for path in local_paths))
        self.assert_all_remote_and_identical(attachments, payloads)

    def test_dry_run_changes_nothing(self):
        attachments, __ = self.make_filestore_attachments(7)
        names = attachments.mapped("store_fname")
        progress = self.migrate(self.backend.code, dry_run=True)
        self.assertEqual(progress.done_count, 7)
        attachments.invalidate_recordset()
        self.assertEqual(attachments.mapped("store_fname"), names)
        self.assertFalse(any(self.driver.exists(name) for name in names))

    def test_backend_to_filestore_and_database(self):
        payloads = [self.unique_data(2000 + index) for index in range(6)]
        attachments = self.Attachment.create(
            [{"name": "r", "raw": data, "mimetype": "application/pdf"} for data in payloads]
        )
        self.migrate("file")
        attachments.invalidate_recordset()
        for attachment, data in zip(attachments, payloads, strict=True):
            self.assertEqual(attachment.store_fname, self.key_of(data))
            self.addCleanup(self.remove_local, attachment.checksum)
            self.assertEqual(attachment.raw, data)
        self.migrate("db")
        attachments.invalidate_recordset()
        self.assertFalse(any(attachments.mapped("store_fname")))
        self.assertEqual(attachments.mapped("raw"), payloads)
        self.migrate(self.backend.code)
        self.assert_all_remote_and_identical(attachments, payloads)

    def test_keep_in_db_rules_apply(self):
        self.use_location("file")
        small_image = self.create_attachment(self.unique_data(1000), mimetype="image/png")
        self.addCleanup(self.remove_local, small_image.checksum)
        self.use_location(self.backend.code)
        self.migrate(self.backend.code)
        small_image.invalidate_recordset()
        self.assertFalse(small_image.store_fname)
        self.assertEqual(len(small_image.raw), 1000)

    def test_corrupt_local_file_is_refused(self):
        attachments, payloads = self.make_filestore_attachments(3)
        with open(self.Attachment._full_path(attachments[1].store_fname), "wb") as handle:
            handle.write(self.unique_data(len(payloads[1])))  # same size, other bytes
        progress = self.migrate(self.backend.code)
        self.assertEqual((progress.done_count, progress.failed_count), (2, 1))
        self.assertIn("checksum", progress.errors[0])
        attachments.invalidate_recordset()
        self.assertFalse(attachments[1].store_fname.startswith(self.backend.code))
        self.assertFalse(self.driver.exists(self.key_of(payloads[1])))

    def test_interrupted_migration_resumes(self):
        attachments, payloads = self.make_filestore_attachments(12)
        batches = []

        def crash_after_first_batch(progress):
            batches.append(progress.done_count)
            raise KeyboardInterrupt

        # not assertRaises: its savepoint would undo the batch the crash follows
        try:
            self.migrate(self.backend.code, report=crash_after_first_batch)
        except KeyboardInterrupt:
            batches.append("interrupted")
        self.assertEqual(batches, [5, "interrupted"])
        progress = self.migrate(self.backend.code)
        self.assertEqual(progress.done_count, 7)
        self.assert_all_remote_and_identical(attachments, payloads)

    def test_job_runs_in_the_background(self):
        attachments, payloads = self.make_filestore_attachments(4)
        job = self.env["ir.attachment.migration"].create(
            {"target": self.backend.code, "batch_size": 3}
        )
        job.action_start()
        self.assertEqual(job.state, "queued")
        # what the cron does, without its commits
        self.patch(self.env.cr, "commit", lambda: None)
        self.env["ir.attachment.migration"]._cron_run()
        self.assertEqual(job.state, "done")
        # the database's own attachments moved too
        self.assertGreaterEqual(job.done_count, 4)
        self.assertEqual((job.done_count, job.progress), (job.total_count, 100.0))
        self.assert_all_remote_and_identical(attachments, payloads)


class TestMigrationServerStopped(PrivateServerBackend, MigrationCase):
    """Kill a real FTP server in the middle of a migration, then resume."""

    def test_server_stopped_mid_migration_then_resumed(self):
        attachments, payloads = self.make_filestore_attachments(15)
        self.driver.retries = 1
        self.driver.backoff = 0.01

        stopped = []

        def stop_server(progress):
            if not stopped:
                self.server.kill()
                stopped.append(progress.done_count)

        # not assertRaises: its savepoint would undo the batch moved before the stop
        try:
            self.migrate(self.backend.code, report=stop_server)
            message = None
        except MigrationStopped as error:
            message = str(error)
        self.assertIn("Run the migration again", message)
        self.assertEqual(stopped, [5])
        attachments.invalidate_recordset()
        moved = [a for a in attachments if a.store_fname.startswith(self.backend.code)]
        self.assertEqual(len(moved), 5)
        self.server.start()
        progress = self.migrate(self.backend.code)
        self.assertEqual((progress.done_count, progress.failed_count), (10, 0))
        self.assert_all_remote_and_identical(attachments, payloads)
