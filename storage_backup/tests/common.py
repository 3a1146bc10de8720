# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import json
import unittest
import uuid

from odoo.addons.storage_backend_s3.tests.common import S3BackendCase

from ..tools import naming


class BackupCase(S3BackendCase):
    """Backup policies on a real SeaweedFS (the test command's, else a private one).

    Each class gets a bucket; each policy's backend its own prefix in it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "aws_bucket" not in cls.env["storage.backend"]._fields:
            raise unittest.SkipTest("storage_backend_s3 is not installed")
        cls.dbname = cls.env.cr.dbname

    def new_backend(self, s3=None, bucket=None, **values):
        if s3:  # another server
            values.update(
                aws_host=s3["endpoint_url"],
                aws_region=s3["region"],
                aws_access_key_id=s3["access_key"],
                aws_secret_access_key=s3["secret_key"],
            )
        return super().new_backend(
            name="Backups", **({"aws_bucket": bucket} if bucket else {}), **values
        )

    def new_policy(self, backend=None, **values):
        return self.env["storage.backup.policy"].create(
            {
                "name": f"Policy {uuid.uuid4().hex[:6]}",
                "backend_id": (backend or self.new_backend()).id,
                **values,
            }
        )

    def keys_of(self, policy):
        """Keys in the policy's folder, relative to it."""
        prefix = policy._backup_prefix()
        driver = policy.backend_id._get_driver()
        return sorted(key[len(prefix) :] for key in driver.list(prefix))

    def seed(self, policy, created, *, database=None, complete=True, backup_format="dump"):
        """A tiny stand-in backup made at ``created`` (naive UTC): the objects
        a backup leaves, without dumping a database."""
        driver = policy.backend_id._get_driver()
        prefix = policy._backup_prefix()
        stem = naming.stem_of(database or self.dbname, created)
        data = f"backup {stem}".encode()
        key = naming.archive_key(prefix, stem, backup_format)
        driver.put(key, data)
        if complete:
            manifest = {
                "database": database or self.dbname,
                "format": backup_format,
                "files": {
                    "backup": {
                        "key": key,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                },
            }
            driver.put(naming.manifest_key(prefix, stem), json.dumps(manifest).encode())
        return stem
