# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
import urllib.request

from odoo.addons.storage_backend.storage_drivers import ObjectExists, ObjectNotFound
from odoo.addons.storage_backend.storage_drivers.s3 import bucket_safe

from .common import S3BackendCase

MIB = 1024 * 1024


class TestS3Backend(S3BackendCase):
    def test_oca_api_on_a_real_bucket(self):
        backend = self.new_backend()
        prefix = backend.directory_path
        backend.add("in/orders.csv", b"id,amount\n1,10\n", mimetype="text/csv")
        backend.add("in/notes.txt", b"notes")
        head = self.bucket_driver.client.head_object(
            Bucket=self.bucket, Key=f"{prefix}/in/orders.csv"
        )
        self.assertEqual(head["ContentType"], "text/csv")
        self.assertEqual(backend.get("in/orders.csv"), b"id,amount\n1,10\n")
        self.assertEqual(backend.list_files("in", pattern="*.csv"), ["orders.csv"])
        self.assertEqual(backend.find_files(r".*\.txt$", "in"), ["in/notes.txt"])
        self.assertEqual(backend.move_files(["in/orders.csv"], "done"), ["done/orders.csv"])
        self.assertEqual(
            sorted(self.bucket_driver.list(f"{prefix}/")),
            [f"{prefix}/done/orders.csv", f"{prefix}/in/notes.txt"],
        )
        with self.assertRaises(ObjectExists):
            backend.add("in/notes.txt", b"other", overwrite=False)
        backend.delete("in/notes.txt")
        with self.assertRaises(ObjectNotFound):
            backend.get("in/notes.txt")

    def test_large_file_object_goes_up_in_parts(self):
        backend = self.new_backend(aws_part_size=5)
        data = bytes(range(256)) * (12 * MIB // 256)
        backend.add("big.bin", io.BytesIO(data))
        self.assertEqual(backend.get("big.bin"), data)
        self.assertEqual(backend._get_driver().part_size, 5 * MIB)

    def test_connection_test_and_usage(self):
        backend = self.new_backend()
        self.assertConnection(backend, "success", "wrote, read back and deleted")
        backend.add("a", b"12345")
        backend.add("b/c", b"123")
        backend.action_refresh_usage()
        self.assertEqual((backend.usage_bytes, backend.usage_objects), (8, 2))
        self.assertIn(self.bucket, backend.location)

    def test_one_driver_and_client_per_configuration(self):
        backend = self.new_backend()
        driver = backend._get_driver()
        client = driver.client
        backend.add("x", b"1")
        self.assertIs(backend._get_driver(), driver)
        self.assertIs(backend._get_driver().client, client)
        backend.aws_cache_control = "max-age=60"
        self.assertIsNot(backend._get_driver(), driver)
        self.assertEqual(backend._get_driver().cache_control, "max-age=60")

    def test_database_placeholders(self):
        dbname = self.env.cr.dbname
        backend = self.new_backend(
            aws_bucket=f"{{db}}-{self.bucket}", aws_create_bucket=True, directory_path="{db}/files"
        )
        self.assertTrue(backend._database_scoped())
        driver = backend._get_driver()
        self.assertEqual(driver.bucket, f"{bucket_safe(dbname)}-{self.bucket}")
        self.assertEqual(driver.prefix, f"{dbname}/files/")
        backend.add("doc", b"mine")
        self.assertEqual(driver.client.list_objects_v2(Bucket=driver.bucket)["KeyCount"], 1)
        other = backend._get_driver("other_db")
        self.assertEqual(
            (other.bucket, other.prefix), (f"other-db-{self.bucket}", "other_db/files/")
        )
        self.assertFalse(self.new_backend()._database_scoped())

    def test_presigned_url_serves_the_object(self):
        backend = self.new_backend()
        backend.add("report.pdf", b"%PDF-1.7")
        url = backend._get_driver().url("report.pdf", expires=60)
        with urllib.request.urlopen(url, timeout=10) as response:
            self.assertEqual(response.read(), b"%PDF-1.7")
            self.assertEqual(response.headers["Content-Type"], "application/pdf")
