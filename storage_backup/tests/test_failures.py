# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tools import config, mute_logger

from odoo.addons.storage_backend.storage_drivers import StorageError

from harness.seaweedfs import SeaweedFS, created_bucket

from ..models.storage_backup_policy import DATABASE_PARAM
from ..tools.restore import DatabaseExists
from ..tools.streams import BackupError, ProducerReader
from .common import BackupCase

MIB = 1024 * 1024
POLICY_LOGGER = "odoo.addons.storage_backup.models.storage_backup_policy"


class TestFailures(BackupCase):
    def alerts(self, policy):
        alert_type = self.env.ref("storage_backup.mail_activity_type_backup_alert")
        return policy.activity_ids.filtered(
            lambda activity: activity.activity_type_id == alert_type
        )

    def test_failed_upload_keeps_previous_backups_and_is_alerted(self):
        server = SeaweedFS().start()  # private: this test stops it
        self.addCleanup(server.stop)
        settings = server.settings()
        self.addCleanup(created_bucket(settings, "failures").close)
        admin = self.env.ref("base.user_admin")
        policy = self.new_policy(
            self.new_backend(s3=settings, bucket="failures"),
            backup_format="dump",
            keep_daily=1,
            keep_weekly=0,
            keep_monthly=0,
            alert_user_id=admin.id,
        )
        self.seed(policy, datetime(2024, 1, 1))
        self.assertTrue(policy._run_backup(datetime(2024, 1, 2)), policy.last_error)
        previous = policy.backup_ids
        self.assertEqual(previous.name, f"{self.dbname}_20240102T000000Z")  # 01-01 pruned

        server.kill()
        with mute_logger(POLICY_LOGGER):
            self.assertFalse(policy._run_backup(datetime(2024, 1, 3)))
        self.assertEqual(policy.last_state, "failed")
        self.assertIn("is unreachable", policy.last_error)
        self.assertEqual(policy.last_run_date, datetime(2024, 1, 3))
        self.assertEqual(policy.last_success_date, datetime(2024, 1, 2))
        alert = self.alerts(policy)
        self.assertEqual((alert.user_id, alert.summary), (admin, "Backup failed"))
        self.assertIn("is unreachable", policy.message_ids[0].body)

        server.start()  # same data and ports
        policy.action_refresh_backups()
        self.assertEqual(policy.backup_ids, previous)
        self.assertEqual(previous.state, "complete")
        stored = policy.backend_id._get_driver().get(previous.archive_key)
        self.assertEqual(len(stored), previous._read_manifest()["files"]["backup"]["size"])

        # a second failure does not pile up activities; a success closes it
        server.kill()
        with mute_logger(POLICY_LOGGER):
            self.assertFalse(policy._run_backup(datetime(2024, 1, 4)))
        self.assertEqual(len(self.alerts(policy)), 1)
        server.start()
        self.assertTrue(policy._run_backup(datetime(2024, 1, 5)), policy.last_error)
        self.assertFalse(self.alerts(policy))
        self.assertEqual(policy.backup_ids.name, f"{self.dbname}_20240105T000000Z")

    def test_interrupted_stream_never_becomes_an_object(self):
        backend = self.new_backend(aws_part_size=5)
        driver = backend._get_driver()

        def produce(sink):
            for __ in range(12):  # multipart: parts went up before the failure
                sink.write(b"x" * MIB)
            raise BackupError("pg_dump died")

        with self.assertRaisesRegex(BackupError, "pg_dump died"):
            driver.put("broken.zip", ProducerReader(produce))
        self.assertFalse(driver.exists("broken.zip"))
        uploads = self.bucket_driver.client.list_multipart_uploads(Bucket=self.bucket)
        self.assertFalse([u for u in uploads.get("Uploads", []) if "broken" in u["Key"]])

    def test_overdue_backups_are_alerted_once(self):
        admin = self.env.ref("base.user_admin")
        policy = self.new_policy(interval_number=1, interval_type="days", alert_user_id=admin.id)
        policy.last_success_date = datetime(2024, 1, 1)
        with freeze_time("2024-01-02 23:00:00"):
            self.env["storage.backup.policy"]._cron_check_overdue()
        self.assertFalse(self.alerts(policy))
        with freeze_time("2024-01-03 01:00:00"):
            self.env["storage.backup.policy"]._cron_check_overdue()
            self.env["storage.backup.policy"]._cron_check_overdue()
        self.assertEqual(self.alerts(policy).summary, "Backup overdue")
        self.assertEqual(self.alerts(policy).user_id, admin)

    def test_restore_never_overwrites_a_database(self):
        policy = self.new_policy()
        self.seed(policy, datetime(2024, 1, 1))
        policy.action_refresh_backups()
        backup = policy.backup_ids
        with self.assertRaisesRegex(DatabaseExists, "already exists"):
            backup._restore(self.dbname)
        with self.assertRaisesRegex(BackupError, "invalid database name"):
            backup._restore("-bad name")
        wizard = self.env["storage.backup.restore"].create(
            {"backup_id": backup.id, "database_name": self.dbname, "master_password": "wrong"}
        )

        def restore(password):
            wizard.master_password = password
            params = wizard.action_restore()["params"]
            self.env.flush_all()  # as the end of the request does
            self.env.cr.execute(
                "SELECT master_password FROM storage_backup_restore WHERE id = %s", [wizard.id]
            )
            self.assertEqual(self.env.cr.fetchone(), (None,))  # never kept
            self.assertEqual((params["type"], params["title"]), ("danger", "Restore failed"))
            return params["message"]

        self.assertEqual(restore("wrong"), "Wrong master password.")
        self.assertIn("already exists", restore(config["admin_passwd"]))
        with patch.dict(config.options, {"list_db": False}):
            self.assertIn("Database management is disabled", restore(config["admin_passwd"]))

    def test_a_copied_database_disables_its_policies(self):
        policy = self.new_policy()
        self.assertTrue(policy.cron_id.active)
        params = self.env["ir.config_parameter"]
        params.set_param(DATABASE_PARAM, "production")
        policy._disable_if_copied()
        self.assertFalse(policy.active)
        self.assertFalse(policy.cron_id.active)
        self.assertEqual(params.get_param(DATABASE_PARAM), self.dbname)
        self.assertIn("restored copy of production", policy.message_ids[0].body)
        policy._disable_if_copied()  # the same database: nothing changes
        policy.active = True
        policy._disable_if_copied()
        self.assertTrue(policy.cron_id.active)

    def test_incomplete_backups_are_not_restorable(self):
        policy = self.new_policy()
        self.seed(policy, datetime(2024, 1, 1), complete=False)
        policy.action_refresh_backups()
        with self.assertRaisesRegex(UserError, "incomplete"):
            policy.backup_ids.action_restore()
        policy.backend_id._get_driver().delete(policy.backup_ids.archive_key)
        with self.assertRaises(StorageError):
            policy.backend_id._get_driver().get(policy.backup_ids.archive_key)
