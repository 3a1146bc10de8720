# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Immutable backups: S3 Object Lock on a real server (SeaweedFS, and Ceph RGW).

The attacker here holds the backend's own keys (ransomware on the Odoo
server, a mistaken script): with them, a locked backup can neither be
destroyed nor replaced before its date.
"""

import hashlib
import unittest
import uuid
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from odoo.exceptions import ValidationError

from odoo.addons.storage_backend.storage_drivers import ObjectExists

from harness.seaweedfs import created_bucket

from .common import BackupCase


class TestObjectLock(BackupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a bucket with Object Lock, as the backend creates it when asked
        cls.locked_bucket = f"locked-{uuid.uuid4().hex[:12]}"
        created_bucket(cls.s3, cls.locked_bucket, object_lock=True).close()

    def locked_policy(self, mode="COMPLIANCE", days=1, **values):
        backend = self.new_backend(bucket=self.locked_bucket)
        return self.new_policy(
            backend, backup_format="dump", object_lock=mode, object_lock_days=days, **values
        )

    def raw_client(self, policy):
        """boto3 with the backend's own credentials, outside the driver."""
        return policy.backend_id._get_driver().client

    def test_refused_at_save_without_object_lock(self):
        with self.assertRaisesRegex(ValidationError, "has no S3 Object Lock"):
            self.new_policy(object_lock="GOVERNANCE")  # the class's bucket has none
        local = self.env["storage.backend"].create(
            {
                "name": "Disk",
                "code": f"l{uuid.uuid4().hex[:8]}",
                "backend_type": "filesystem",
                "directory_path": "backups",
            }
        )
        with self.assertRaisesRegex(ValidationError, "need an S3 backend with Object Lock"):
            self.new_policy(local, object_lock="GOVERNANCE")
        policy = self.new_policy()
        with self.assertRaisesRegex(ValidationError, "has no S3 Object Lock"):
            policy.object_lock = "COMPLIANCE"
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            self.locked_policy(days=0)

    def test_backend_creates_buckets_with_object_lock(self):
        bucket = f"created-{uuid.uuid4().hex[:10]}"
        backend = self.new_backend(bucket=bucket, aws_create_bucket=True, aws_object_lock=True)
        policy = self.new_policy(backend, object_lock="GOVERNANCE")  # the probe creates it
        config = self.raw_client(policy).get_object_lock_configuration(Bucket=bucket)
        self.assertEqual(config["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")

    def test_locked_backup_cannot_be_deleted_or_replaced_with_the_backends_keys(self):
        policy = self.locked_policy("COMPLIANCE")
        before = datetime.now(timezone.utc)
        self.assertTrue(policy._run_backup(), policy.last_error)
        backup = policy.backup_ids
        manifest = backup._read_manifest()
        until = datetime.fromisoformat(manifest["object_lock"]["retain_until"])
        self.assertEqual(manifest["object_lock"]["mode"], "COMPLIANCE")
        self.assertTrue(before + timedelta(days=1) - timedelta(seconds=1) <= until)
        # the form shows until when it is protected
        self.assertEqual(backup.lock_mode, "COMPLIANCE")
        self.assertEqual(backup.locked_until, until.replace(tzinfo=None))

        driver = policy.backend_id._get_driver()
        client, bucket = driver.client, driver.bucket
        keys = [driver.prefix + key for key in (backup.archive_key, backup.manifest_key)]
        original = {}
        for key in keys:
            head = client.head_object(Bucket=bucket, Key=key)
            self.assertEqual(head["ObjectLockMode"], "COMPLIANCE")
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            original[key] = (head["VersionId"], hashlib.sha256(body).hexdigest())

        with self.assertRaises(ObjectExists):  # the suite itself never replaces a backup
            driver.put(backup.manifest_key, b"{}", overwrite=False)
        for key, (version, digest) in original.items():
            # destroying the version: refused, bypass or not
            for bypass in ({}, {"BypassGovernanceRetention": True}):
                with self.assertRaises(ClientError) as refused:
                    client.delete_object(Bucket=bucket, Key=key, VersionId=version, **bypass)
                self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDenied")
            # shortening the lock: refused
            with self.assertRaises(ClientError):
                client.put_object_retention(
                    Bucket=bucket,
                    Key=key,
                    VersionId=version,
                    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": before},
                )
            # replacing or hiding it only adds versions: the locked one stays as it was
            client.put_object(Bucket=bucket, Key=key, Body=b"ransomware")
            client.delete_object(Bucket=bucket, Key=key)
            kept = client.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
            self.assertEqual(hashlib.sha256(kept).hexdigest(), digest)

    def test_governance_lock_and_legal_hold(self):
        policy = self.locked_policy("GOVERNANCE")
        self.assertTrue(policy._run_backup(), policy.last_error)
        backup = policy.backup_ids
        self.assertEqual(backup.lock_mode, "GOVERNANCE")
        driver = policy.backend_id._get_driver()
        backup.action_legal_hold()
        self.assertTrue(backup.legal_hold)
        for key in (backup.archive_key, backup.manifest_key):
            self.assertTrue(driver.lock_state(key).legal_hold)
        policy.action_refresh_backups()  # read back from the bucket
        self.assertTrue(backup.legal_hold)
        # a legal hold holds even against who may bypass governance
        client, key = driver.client, driver.prefix + backup.archive_key
        version = client.head_object(Bucket=driver.bucket, Key=key)["VersionId"]
        with self.assertRaises(ClientError):
            client.delete_object(
                Bucket=driver.bucket, Key=key, VersionId=version, BypassGovernanceRetention=True
            )
        backup.action_release_legal_hold()
        self.assertFalse(driver.lock_state(backup.archive_key).legal_hold)
        self.assertFalse(backup.legal_hold)

    def test_retention_skips_locked_backups_and_says_so(self):
        policy = self.locked_policy("GOVERNANCE", keep_daily=1, keep_weekly=0, keep_monthly=0)
        driver = policy.backend_id._get_driver()
        until = datetime.now(timezone.utc) + timedelta(days=1)
        old_locked = self.seed(policy, datetime(2024, 1, 1))
        old_free = self.seed(policy, datetime(2024, 1, 2))  # made before the lock was set
        prefix = policy._backup_prefix()
        for suffix in ("dump", "manifest.json"):
            driver.lock(f"{prefix}{old_locked}.{suffix}", "GOVERNANCE", until)
        calls = []
        driver.client.meta.events.register(
            "before-parameter-build.s3.DeleteObject",
            lambda params, **kwargs: calls.append(params["Key"]),
        )
        self.assertTrue(policy._run_backup(datetime(2024, 1, 3)), policy.last_error)
        names = {backup.name: backup for backup in policy.backup_ids}
        self.assertNotIn(old_free, names)  # deleted as the counts say
        self.assertTrue(names[old_locked].retention_blocked)  # kept, and the list says why
        self.assertEqual(names[old_locked].locked_until, until.replace(tzinfo=None, microsecond=0))
        newest = names[f"{self.dbname}_20240103T000000Z"]
        self.assertFalse(newest.retention_blocked)
        self.assertTrue(newest.locked_until)
        self.assertFalse([key for key in calls if old_locked in key])  # never even tried
        self.assertIn("older backups kept by their Object Lock: 1", policy.last_summary)
        policy.backup_ids.unlink()
        policy.action_refresh_backups()  # a refresh says so too
        blocked = policy.backup_ids.filtered("retention_blocked")
        self.assertEqual(blocked.mapped("name"), [old_locked])


class TestObjectLockOnCeph(TestObjectLock):
    """The same on Ceph's RADOS Gateway (the test command's Ceph, else a private one)."""

    @classmethod
    def server_settings(cls):
        from harness import ceph

        settings = ceph.shared_settings()
        if settings is None:
            raise unittest.SkipTest(ceph.skip_reason())
        return settings["s3"]
