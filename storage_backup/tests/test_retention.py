# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests.common import TransactionCase

from ..tools.retention import backups_to_keep
from .common import BackupCase


class TestRetentionRules(TransactionCase):
    def test_daily_weekly_monthly(self):
        days = [datetime(2024, 1, 1, 2) + timedelta(days=n) for n in range(70)]  # .. 03-10
        last = datetime(2024, 3, 10, 14)
        kept = backups_to_keep(days + [last], {"daily": 3, "weekly": 2, "monthly": 2})
        self.assertEqual(
            sorted(kept),
            [
                datetime(2024, 2, 29, 2),  # February's newest
                datetime(2024, 3, 3, 2),  # newest of ISO week 9
                datetime(2024, 3, 8, 2),
                datetime(2024, 3, 9, 2),
                last,  # newest of its day, week and month
            ],
        )

    def test_iso_weeks_across_new_year_and_unlimited_years(self):
        moments = [
            datetime(2023, 6, 1),
            datetime(2024, 12, 29),  # Sunday of 2024-W52
            datetime(2024, 12, 31),  # Tuesday of 2025-W01
            datetime(2025, 1, 2),
        ]
        self.assertEqual(
            sorted(backups_to_keep(moments, {"weekly": 2})),
            [datetime(2024, 12, 29), datetime(2025, 1, 2)],
        )
        self.assertEqual(
            sorted(backups_to_keep(moments, {"yearly": -1})),
            [datetime(2023, 6, 1), datetime(2024, 12, 31), datetime(2025, 1, 2)],
        )

    def test_hourly_and_newest_always_kept(self):
        moments = [datetime(2024, 5, 1, hour, minute) for hour in (8, 9, 10) for minute in (0, 30)]
        self.assertEqual(
            sorted(backups_to_keep(moments, {"hourly": 2})),
            [datetime(2024, 5, 1, 9, 30), datetime(2024, 5, 1, 10, 30)],
        )
        self.assertEqual(backups_to_keep(moments, {"daily": 0}), {datetime(2024, 5, 1, 10, 30)})
        self.assertEqual(backups_to_keep([], {"daily": 3}), set())


class TestRetention(BackupCase):
    def test_retention_across_simulated_dates(self):
        policy = self.new_policy(
            backup_format="dump", keep_daily=3, keep_weekly=2, keep_monthly=2, keep_yearly=0
        )
        for day in range(19):  # 2024-02-20 .. 2024-03-09, 02:00
            self.seed(policy, datetime(2024, 2, 20, 2) + timedelta(days=day))
        incomplete = self.seed(policy, datetime(2024, 3, 5, 12), complete=False)
        other_db = self.seed(policy, datetime(2024, 2, 20, 2), database="otherdb")
        policy.backend_id._get_driver().put(f"{policy._backup_prefix()}notes.txt", b"not a backup")

        def own_backups():
            return sorted(
                backup.name.rpartition("_")[2]
                for backup in policy.backup_ids
                if backup.database == self.dbname
            )

        # simulated dates, not a frozen clock: S3 refuses requests signed in the past
        self.assertTrue(policy._run_backup(datetime(2024, 3, 10, 14)), policy.last_error)
        self.assertEqual(
            own_backups(),
            [
                "20240229T020000Z",  # February's newest
                "20240303T020000Z",  # newest of last week
                "20240308T020000Z",
                "20240309T020000Z",
                "20240310T140000Z",  # the backup just made
            ],
        )
        keys = self.keys_of(policy)
        self.assertNotIn(f"{incomplete}.dump", keys)  # older than a verified backup
        self.assertIn(f"{other_db}.dump", keys)  # another database's: never touched
        self.assertIn("notes.txt", keys)
        self.assertEqual(policy.last_success_date, datetime(2024, 3, 10, 14))

        self.assertTrue(policy._run_backup(datetime(2024, 3, 11, 2)), policy.last_error)
        self.assertEqual(
            own_backups(),
            ["20240229T020000Z", "20240309T020000Z", "20240310T140000Z", "20240311T020000Z"],
        )
        self.assertEqual(len(self.keys_of(policy)), 4 * 2 + 2 + 1)  # + otherdb's, notes.txt

    def test_listing_pages_through_any_number_of_backups(self):
        policy = self.new_policy()
        for hour in range(24):
            self.seed(policy, datetime(2024, 1, 1, hour), complete=hour % 4 != 0)
        driver = policy.backend_id._get_driver()
        driver.page_size = 5  # 48 objects: ten pages
        policy.action_refresh_backups()
        self.assertEqual(len(policy.backup_ids), 24)
        self.assertEqual(policy.backup_count, 24)
        self.assertEqual(
            len(policy.backup_ids.filtered(lambda backup: backup.state == "incomplete")), 6
        )
        # the list follows the backend
        newest = policy.backup_ids.sorted("created")[-1]
        self.assertEqual(newest.name, f"{self.dbname}_20240101T230000Z")
        driver.delete(newest.manifest_key)
        policy.action_refresh_backups()
        self.assertEqual(newest.state, "incomplete")

    def test_at_least_one_backup_kept(self):
        with self.assertRaises(ValidationError):
            self.new_policy(keep_daily=0, keep_weekly=0, keep_monthly=0)
        with self.assertRaises(ValidationError):
            self.new_policy(keep_daily=-2)
        with self.assertRaises(ValidationError):
            self.new_policy(prefix="backups/../{db}")
