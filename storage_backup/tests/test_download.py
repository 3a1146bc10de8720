# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests.common import HttpCase, new_test_user

from .common import BackupCase


class TestDownload(HttpCase, BackupCase):
    def test_administrators_download_backups(self):
        policy = self.new_policy()
        stem = self.seed(policy, datetime(2024, 1, 1))
        policy.action_refresh_backups()
        backup = policy.backup_ids
        expected = policy.backend_id._get_driver().get(backup.archive_key)
        url = f"/storage_backup/download/{backup.id}"
        self.assertEqual(backup.action_download()["url"], url)

        self.authenticate("admin", "admin")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, expected)
        self.assertIn(f"{stem}.dump", response.headers["Content-Disposition"])
        self.assertEqual(response.headers["Content-Length"], str(len(expected)))
        self.assertEqual(self.url_open("/storage_backup/download/999999").status_code, 404)

        # only administrators see policies and backups
        clerk = new_test_user(self.env, login="clerk", password="clerk-password-1")
        self.authenticate("clerk", "clerk-password-1")
        self.assertEqual(self.url_open(url).status_code, 403)
        for model in ("storage.backup.policy", "storage.backup", "storage.backup.restore"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(clerk).search([])
