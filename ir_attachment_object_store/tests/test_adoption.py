# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Files of other object-storage addons, on the real S3 and Swift of the test command.

None of those addons exists for Odoo 17 in a form that runs here (camptocamp's
attachment_s3/attachment_swift stop at 15.0, Catalyst's at 9.0; OCA's
fs_attachment 17.0 needs fsspec/s3fs, which this suite does not ship), so each
test writes what the source leaves behind, exactly: its ``ir_attachment``
rows, its parameters or environment variables, and its objects, written with
the same client calls (boto3 ``put_object``, swiftclient ``put_object``) under
the same names. Then it runs the detection that installing this addon runs,
reads every file back byte for byte while counting the requests the servers
receive (nothing may be copied), adopts the files and reads them again with
the source's settings gone.
"""

import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from unittest.mock import patch

from swiftclient.client import Connection
from swiftclient.exceptions import ClientException

from odoo.tests import tagged

from ..tools.adoption import AttachmentAdoption, storage_of
from ..tools.object_keys import content_key
from .common import ObjectStoreCase, S3Backend, SwiftBackend

# requests from clients; the proxy's own subrequests (a copy reading its
# source, marked SSC) show "-" as the client address
SWIFT_LINE = re.compile(
    r"^proxy-server: [0-9.]+ \S+ \S+ (?P<method>[A-Z]+) /v1/[^/ ]+/(?P<path>\S*) HTTP/1"
)


class AdoptionCase(ObjectStoreCase):
    """Rows and objects as another addon left them; see the module docstring."""

    count = 4

    def setUp(self):
        super().setUp()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM ir_attachment")
        self.baseline_id = self.env.cr.fetchone()[0]
        self.payloads = [self.unique_data(1500 + 700 * index) for index in range(self.count)]

    def foreign_rows(self, names):
        """Attachments whose ``store_fname`` the other addon wrote (core's other columns)."""
        self.use_location("db")
        attachments = self.Attachment.create(
            [
                {"name": f"adopt{i}.pdf", "raw": data, "mimetype": "application/pdf"}
                for i, data in enumerate(self.payloads)
            ]
        )
        for attachment, name in zip(attachments, names, strict=True):
            self.env.cr.execute(
                "UPDATE ir_attachment SET store_fname = %s, db_datas = NULL WHERE id = %s",
                [name, attachment.id],
            )
        attachments.invalidate_recordset()
        return attachments

    def source_location(self, location):
        """The location the other addon used (set before this suite checked it)."""
        self.env["ir.config_parameter"].set_param("ir_attachment.location", "file")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ir_config_parameter SET value = %s WHERE key = 'ir_attachment.location'",
            [location],
        )
        self.env["ir.config_parameter"].invalidate_model()
        self.env.registry.clear_cache()

    def detect(self):
        """What installing this addon (or the Detect action) runs."""
        report = self.Attachment._object_store_detect_sources()
        self.Attachment.invalidate_model()
        return report

    def assert_identical(self, attachments):
        attachments.invalidate_recordset()
        for attachment, data in zip(attachments, self.payloads, strict=True):
            self.assertEqual(attachment.raw, data, attachment.store_fname)

    def adopt(self, target=None, **options):
        self.env.cr.execute("SELECT id FROM ir_attachment WHERE id > %s", [self.baseline_id])
        ids = [row[0] for row in self.env.cr.fetchall()]
        return AttachmentAdoption(
            self.env, target, ids=ids, commit=lambda: None, batch_size=3, **options
        ).run()

    def assert_adopted(self, attachments, code):
        attachments.invalidate_recordset()
        for attachment in attachments:
            self.assertEqual(attachment.store_fname, f"{code}://{content_key(attachment.checksum)}")

    @staticmethod
    def sha1(data):
        return hashlib.sha1(data).hexdigest()


class S3Requests:
    """Requests the real boto3 clients of the drivers put on the wire."""

    def __init__(self):
        self.sent = []

    def watch(self, driver, key="x/y"):
        client = storage_of(driver, key)[0].client
        client.meta.events.register("before-send.s3", self._record)
        return self

    def _record(self, request, **kwargs):
        copy = "x-amz-copy-source" in {name.lower() for name in request.headers}
        self.sent.append("COPY" if copy else request.method)


@tagged("post_install", "-at_install")
class TestAdoptCamptocampS3(S3Backend, AdoptionCase):
    """camptocamp attachment_s3: ``s3://<bucket>/<sha1>``, settings in AWS_* variables."""

    def setUp(self):
        super().setUp()
        import boto3

        self.bucket = f"c2c-{uuid.uuid4().hex[:12]}"
        self.client = boto3.client(
            "s3",
            endpoint_url=self.s3["endpoint_url"],
            region_name=self.s3["region"],
            aws_access_key_id=self.s3["access_key"],
            aws_secret_access_key=self.s3["secret_key"],
        )
        self.client.create_bucket(Bucket=self.bucket)
        self.source_env = {
            "AWS_HOST": self.s3["endpoint_url"],
            "AWS_REGION": self.s3["region"],
            "AWS_ACCESS_KEY_ID": self.s3["access_key"],
            "AWS_SECRET_ACCESS_KEY": self.s3["secret_key"],
            "AWS_BUCKETNAME": self.bucket,
        }
        for data in self.payloads:  # what attachment_s3's upload_fileobj leaves
            self.client.put_object(Bucket=self.bucket, Key=self.sha1(data), Body=data)

    def objects(self):
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return {item["Key"]: item["ETag"] for item in listing.get("Contents", [])}

    def test_read_in_place_then_adopt(self):
        attachments = self.foreign_rows(
            [f"s3://{self.bucket}/{self.sha1(d)}" for d in self.payloads]
        )
        self.source_location("s3")
        self.env["ir.config_parameter"].set_param(
            "ir_attachment.storage.force.database", "{'image/': 1000, 'text/css': 0}"
        )
        with patch.dict(os.environ, self.source_env):
            report = self.detect()
            reader = self.env["storage.backend"].search([("code", "=", "s3")])
            twin = self.env["storage.backend"].search([("code", "=", "s3_suite")])
            self.assertEqual(reader.adopted_layout, "camptocamp_s3", report)
            # secrets stay where camptocamp kept them: in the environment
            self.env.cr.execute(
                "SELECT aws_secret_access_key, aws_access_key_id FROM storage_backend "
                "WHERE id IN %s",
                [(reader.id, twin.id)],
            )
            self.assertEqual(self.env.cr.fetchall(), [(None, None), (None, None)])
            self.assertEqual(
                reader.read(["aws_secret_access_key"])[0]["aws_secret_access_key"], "********"
            )
            self.assertEqual(
                self.env["ir.config_parameter"].get_param("ir_attachment.location"), "s3_suite"
            )
            self.assertEqual(
                json.loads(
                    self.env["ir.config_parameter"].get_param(
                        "ir_attachment_object_store.keep_in_db"
                    )
                ),
                {"image/": 1000, "text/css": 0},
            )
            before = self.objects()
            requests = S3Requests().watch(reader._attachment_driver(), f"{self.bucket}/x")
            self.assert_identical(attachments)
            self.assertEqual(set(requests.sent), {"GET"})  # reads only, nothing copied
            self.assertEqual(self.objects(), before)

            # deleting one of them never deletes camptocamp's object, even when
            # its name reaches the collector
            fname = attachments[0].store_fname
            attachments[0].unlink()
            self.Attachment._object_store_mark([fname])
            self.Attachment._gc_object_store_unsafe()
            self.assertNotIn(fname, self.Attachment._object_store_checklist)
            self.assertEqual(self.objects(), before)
            attachments = attachments[1:]
            self.payloads = self.payloads[1:]

            # new files: this suite's layout, in the same bucket under the database
            new = self.create_attachment(self.unique_data(4000))
            self.assertTrue(new.store_fname.startswith("s3_suite://"))
            self.assertIn(f"{self.env.cr.dbname}/{new.store_fname[11:]}", self.objects())

            requests = S3Requests().watch(twin._attachment_driver())
            requests.watch(reader._attachment_driver(), f"{self.bucket}/x")
            dry = self.adopt(dry_run=True)
            self.assertEqual((dry.done_count, requests.sent), (3, []))
            progress = self.adopt()
            self.assertEqual((progress.done_count, progress.failed_count), (3, 0))
            # server-side copies: not one byte went through Odoo
            self.assertEqual(requests.sent.count("COPY"), 3, requests.sent)
            self.assertNotIn("GET", requests.sent)
        self.assert_adopted(attachments, "s3_suite")
        self.assertEqual(set(before) - set(self.objects()), set())  # nothing deleted

        # camptocamp gone: its variables become this suite's server settings
        ours = {
            "STORAGE_BACKEND_S3_SUITE_AWS_ACCESS_KEY_ID": self.s3["access_key"],
            "STORAGE_BACKEND_S3_SUITE_AWS_SECRET_ACCESS_KEY": self.s3["secret_key"],
        }
        with patch.dict(os.environ, ours):
            self.env["storage.backend"].search([("code", "=", "s3")]).unlink()
            self.assert_identical(attachments)
        self.assertEqual(self.adopt().total_count, 0)  # nothing left to adopt

    def test_unreadable_files_are_reported(self):
        names = [f"s3://{self.bucket}/{self.sha1(d)}" for d in self.payloads]
        names[1] = f"s3://{self.bucket}/{'0' * 40}"  # never stored
        attachments = self.foreign_rows(names)
        with patch.dict(os.environ, self.source_env):
            self.detect()
            target = self.env["storage.backend"].create(
                {"name": "Target", "code": f"t{uuid.uuid4().hex[:8]}", **self.backend_values()}
            )
            progress = self.adopt(target.code)
        self.assertEqual((progress.done_count, progress.failed_count), (3, 1))
        self.assertIn(f"attachment {attachments[1].id}", progress.errors[0])
        attachments.invalidate_recordset()
        self.assertEqual(attachments[1].store_fname, names[1])  # left as it was


@tagged("post_install", "-at_install")
class TestAdoptCamptocampSwift(SwiftBackend, AdoptionCase):
    """camptocamp attachment_swift: ``swift://<container>/<sha1>``, SWIFT_* variables."""

    def setUp(self):
        super().setUp()
        self.container = f"C2C-{uuid.uuid4().hex[:10]}"  # case kept, as camptocamp did
        self.connection = Connection(self.swift["auth_url"], self.swift["user"], self.swift["key"])
        self.connection.put_container(self.container)
        for data in self.payloads:
            self.connection.put_object(self.container, self.sha1(data), data)
        self.source_env = {
            "SWIFT_AUTH_URL": self.swift["auth_url"],
            "SWIFT_ACCOUNT": self.swift["user"],
            "SWIFT_PASSWORD": self.swift["key"],
            "SWIFT_WRITE_CONTAINER": self.container,
        }

    def requests_during(self, operation):
        """``(method, container)`` of the proxy's log lines during ``operation``."""
        with open(self.swift["proxy_log"], "rb") as log:
            log.seek(0, 2)
            operation()
            marker = f"marker-{uuid.uuid4().hex}"
            with contextlib.suppress(ClientException):
                self.connection.head_object(self.container, marker)
            deadline, lines = time.monotonic() + 10, []
            while time.monotonic() < deadline:
                lines += log.read().decode(errors="replace").splitlines()
                if any(marker in line for line in lines):
                    break
                time.sleep(0.05)
        found = (SWIFT_LINE.search(line) for line in lines if marker not in line)
        # (method, container, whether an object rather than the container)
        return [
            (match["method"], *match["path"].split("?")[0].partition("/")[::2])
            for match in found
            if match
        ]

    def test_read_in_place_then_adopt(self):
        attachments = self.foreign_rows(
            [f"swift://{self.container}/{self.sha1(d)}" for d in self.payloads]
        )
        self.source_location("swift")
        with patch.dict(os.environ, self.source_env):
            self.detect()
            reader = self.env["storage.backend"].search([("code", "=", "swift")])
            self.assertEqual(reader.adopted_layout, "camptocamp_swift")
            self.env.cr.execute("SELECT swift_key FROM storage_backend WHERE id = %s", [reader.id])
            self.assertIsNone(self.env.cr.fetchone()[0])
            reader._attachment_driver().exists(f"{self.container}/warm-up")  # token
            requests = self.requests_during(lambda: self.assert_identical(attachments))
            self.assertEqual({request[0] for request in requests}, {"GET"}, requests)
            target = self.env["ir.config_parameter"].get_param("ir_attachment.location")
            self.assertEqual(target, "swift_suite")
            requests = self.requests_during(lambda: self.adopt())
        self.assert_adopted(attachments, "swift_suite")
        # X-Copy-From: a PUT per file into the new container, the bodies never read
        copies = [r for r in requests if r[0] == "PUT" and r[1] != self.container and r[2]]
        self.assertEqual(len(copies), self.count, requests)
        self.assertFalse([r for r in requests if r[0] == "GET" and r[1] == self.container])
        with patch.dict(os.environ, {"STORAGE_BACKEND_SWIFT_SUITE_SWIFT_KEY": self.swift["key"]}):
            self.assert_identical(attachments)


@tagged("post_install", "-at_install")
class TestAdoptFsAttachment(S3Backend, AdoptionCase):
    """OCA fs_attachment 17.0: ``<code>://<path>`` under an ``fs.storage`` (s3 protocol).

    The ``fs_storage`` table is written as fs_storage 17.0 creates it (the
    columns this detection reads), with options resolved from the
    environment (``eval_options_from_env``) as fs_storage allows.
    """

    def setUp(self):
        super().setUp()
        import boto3

        self.bucket = f"fs-{uuid.uuid4().hex[:12]}"
        self.code = f"fs{uuid.uuid4().hex[:6]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.s3["endpoint_url"],
            region_name=self.s3["region"],
            aws_access_key_id=self.s3["access_key"],
            aws_secret_access_key=self.s3["secret_key"],
        )
        client.create_bucket(Bucket=self.bucket)
        # optimizes_directory_path (ab/cd/<sha1>), then renamed to a readable name
        self.paths = [
            f"{self.sha1(d)[:2]}/{self.sha1(d)[2:4]}/adopt{i}-{i + 1}-0.pdf"
            for i, d in enumerate(self.payloads)
        ]
        for path, data in zip(self.paths, self.payloads, strict=True):
            client.put_object(Bucket=self.bucket, Key=f"odoo/{path}", Body=data)
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS fs_storage (
                id serial PRIMARY KEY, name varchar NOT NULL, code varchar NOT NULL,
                protocol varchar NOT NULL, options text, directory_path varchar,
                eval_options_from_env boolean, use_as_default_for_attachments boolean,
                optimizes_directory_path boolean, use_filename_obfuscation boolean
            );
            INSERT INTO fs_storage (name, code, protocol, options, directory_path,
                eval_options_from_env, use_as_default_for_attachments,
                optimizes_directory_path, use_filename_obfuscation)
            VALUES (%s, %s, 's3', %s, %s, true, true, true, false)
            """,
            [
                "S3",
                self.code,
                json.dumps(
                    {
                        "endpoint_url": self.s3["endpoint_url"],
                        "key": "$FS_S3_KEY",
                        "secret": "$FS_S3_SECRET",
                        "client_kwargs": {"region_name": self.s3["region"]},
                    }
                ),
                f"{self.bucket}/odoo",
            ],
        )
        self.source_env = {
            "FS_S3_KEY": self.s3["access_key"],
            "FS_S3_SECRET": self.s3["secret_key"],
        }

    def test_read_in_place_then_adopt(self):
        attachments = self.foreign_rows([f"{self.code}://{path}" for path in self.paths])
        with patch.dict(os.environ, self.source_env):
            self.detect()
            reader = self.env["storage.backend"].search([("code", "=", self.code)])
            self.assertEqual(
                (reader.adopted_layout, reader.aws_bucket, reader.directory_path),
                ("fs_attachment", self.bucket, "odoo"),
            )
            self.assertEqual(reader.sudo().adopted_env["aws_secret_access_key"], "FS_S3_SECRET")
            requests = S3Requests().watch(reader._attachment_driver())
            self.assert_identical(attachments)
            self.assertEqual(set(requests.sent), {"GET"})
            # it was the default storage: new files go to a backend of this suite
            twin = f"{self.code}_suite"
            self.assertEqual(
                self.env["ir.config_parameter"].get_param("ir_attachment.location"), twin
            )
            requests.sent.clear()
            progress = self.adopt()
            self.assertEqual(progress.done_count, self.count)
            self.assertEqual(requests.sent.count("GET"), 0, requests.sent)
        self.env.cr.execute("DROP TABLE fs_storage")
        self.assert_adopted(attachments, twin)
        with patch.dict(
            os.environ,
            {
                f"STORAGE_BACKEND_{twin.upper()}_AWS_ACCESS_KEY_ID": self.s3["access_key"],
                f"STORAGE_BACKEND_{twin.upper()}_AWS_SECRET_ACCESS_KEY": self.s3["secret_key"],
            },
        ):
            self.assert_identical(attachments)


@tagged("post_install", "-at_install")
class TestAdoptCatalyst(SwiftBackend, AdoptionCase):
    """Catalyst odoo_openstack_storage: location ``openstack``, a JSON parameter,
    bare ``<sha1>`` names in container ``<prefix>-<database>``, or still on disk."""

    def setUp(self):
        super().setUp()
        self.prefix = f"cat{uuid.uuid4().hex[:8]}"
        self.container = f"{self.prefix}-{self.env.cr.dbname.lower()}"
        self.connection = Connection(self.swift["auth_url"], self.swift["user"], self.swift["key"])
        self.connection.put_container(self.container)
        # the first three migrated to Swift; the last one not yet (on disk, ab/<sha1>)
        for data in self.payloads[:-1]:
            self.connection.put_object(self.container, self.sha1(data), data)
        self.local_copy(self.payloads[-1])
        self.config = {
            "user": self.swift["user"],
            "key": self.swift["key"],
            "authurl": self.swift["auth_url"],
            "tenant_name": "test",
            "region_name": "RegionOne",
            "container_prefix": self.prefix,
        }

    def test_location_parameter_routes_new_files_and_falls_back_to_disk(self):
        attachments = self.foreign_rows([self.sha1(data) for data in self.payloads])
        params = self.env["ir.config_parameter"]
        # as the module's documentation says: two parameters
        params.set_param("ir_attachment.location.openstack", json.dumps(self.config))
        params.set_param("ir_attachment.location", "openstack")
        backend = self.env["storage.backend"].search([("code", "=", "openstack")])
        self.assertEqual(
            (backend.adopted_layout, backend.swift_container_name), ("catalyst", self.container)
        )
        self.assert_identical(attachments)

        data = self.unique_data(3000)
        new = self.create_attachment(data)
        self.assertEqual(new.store_fname, f"openstack://{self.key_of(data)}")
        self.assertEqual(self.connection.get_object(self.container, self.key_of(data))[1], data)

        progress = self.adopt()
        self.assertEqual((progress.done_count, progress.failed_count), (self.count, 0))
        self.assert_adopted(attachments, "openstack")
        # the file still on disk was sent; the others copied inside Swift
        self.assertEqual(
            self.connection.get_object(self.container, content_key(attachments[-1].checksum))[1],
            self.payloads[-1],
        )
        params.set_param("ir_attachment.location.openstack", False)
        os.remove(self.Attachment._full_path(self.key_of(self.payloads[-1])))
        self.assert_identical(attachments)
