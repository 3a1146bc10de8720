# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import hashlib
import os
import tempfile

from odoo.exceptions import UserError, ValidationError

from .common import StorageFileCase, UnseekableStream, pattern_sha256


class TestStorageFile(StorageFileCase):
    def test_metadata_matches_the_stored_object(self):
        storage_file = self.new_file(b"%PDF-1.7 minimal", name="Quarterly report.pdf")
        storage_file.invalidate_recordset()
        raw = self.assertMetadataMatchesObject(storage_file)
        self.assertEqual(raw, b"%PDF-1.7 minimal")
        if self.backend.backend_type == "filesystem" and not self.encrypted(self.backend):
            path = os.path.join(self.root_of(self.backend), storage_file.relative_path)
            with open(path, "rb") as handle:
                self.assertEqual(handle.read(), raw)
        self.assertEqual(storage_file.mimetype, "application/pdf")
        self.assertEqual(base64.b64decode(storage_file.data), raw)
        self.assertEqual(storage_file.with_context(bin_size=True).data, b"16.00 bytes")
        self.assertEqual(storage_file.human_file_size, "16.00 bytes")

    def test_mimetype_from_content_when_the_name_says_nothing(self):
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        self.assertEqual(self.new_file(png, name="scan").mimetype, "image/png")
        self.assertEqual(
            self.new_file(b"\x00\x01", name="blob").mimetype, "application/octet-stream"
        )

    def test_unseekable_stream_is_stored_in_bounded_memory(self):
        size = 3 * 1024 * 1024 + 17
        storage_file = self.Files._create_from_stream(
            UnseekableStream(size), {"name": "big.bin", "backend_id": self.backend.id}
        )
        self.assertEqual(storage_file.file_size, size)
        self.assertEqual(storage_file.checksum, pattern_sha256(size))
        self.assertMetadataMatchesObject(storage_file)

    def test_seekable_stream_is_read_from_its_position(self):
        with tempfile.TemporaryFile() as handle:
            handle.write(b"HEADER" + b"payload" * 1000)
            handle.seek(6)
            storage_file = self.Files.create(
                {"name": "payload.bin", "data": handle, "backend_id": self.backend.id}
            )
        self.assertEqual(storage_file.file_size, 7000)
        self.assertEqual(self.assertMetadataMatchesObject(storage_file), b"payload" * 1000)
        with storage_file._open_content() as stream:
            self.assertEqual(stream.read(14), b"payloadpayload")

    def test_hash_naming_deduplicates_identical_content(self):
        first = self.new_file(b"same bytes", name="a.txt")
        second = self.new_file(b"same bytes", name="b.txt")
        checksum = hashlib.sha256(b"same bytes").hexdigest()
        self.assertEqual(first.relative_path, f"{checksum[:2]}/{checksum}")
        self.assertEqual(second.relative_path, first.relative_path)
        self.assertTrue(first.content_addressed and second.content_addressed)
        self.assertEqual(self.stored_objects(), [first.relative_path])
        other_backend = self.new_backend()
        third = self.new_file(b"same bytes", name="c.txt", backend=other_backend)
        self.assertEqual(self.stored_objects(other_backend), [third.relative_path])

    def test_readable_naming(self):
        self.backend.filename_strategy = "name_with_id"
        storage_file = self.new_file(b"x", name="Résumé final (v2).PDF")
        self.assertEqual(storage_file.slug, f"resume-final-v2-{storage_file.id}.pdf")
        self.assertEqual(storage_file.relative_path, storage_file.slug)
        self.assertFalse(storage_file.content_addressed)
        twin = self.new_file(b"x", name="Résumé final (v2).PDF")
        self.assertEqual(
            self.stored_objects(), sorted([storage_file.relative_path, twin.relative_path])
        )
        odd = self.new_file(b"y", name="...")
        self.assertEqual(odd.relative_path, f"file-{odd.id}")
        self.assertEqual(
            self.new_file(b"z", name="x" * 200 + ".tar").relative_path[:81], "x" * 80 + "-"
        )

    def test_readable_naming_never_overwrites_an_object_it_did_not_write(self):
        self.backend.filename_strategy = "name_with_id"
        first = self.new_file(b"1", name="data.bin")
        foreign = f"data-{first.id + 1}.bin"
        self.backend._file_driver().put(foreign, b"not ours")
        second = self.new_file(b"2", name="data.bin")
        self.assertEqual(second.id, first.id + 1)
        self.assertEqual(second.relative_path, f"data-{second.id}-{second.checksum[:16]}.bin")
        self.assertEqual(self.backend._file_driver().get(foreign), b"not ours")
        self.assertMetadataMatchesObject(second)

    def test_rewriting_data_never_overwrites_the_committed_object(self):
        for strategy in ("hash", "name_with_id"):
            with self.subTest(strategy=strategy):
                self.backend.filename_strategy = strategy
                storage_file = self.new_file(b"version 1", name="notes.txt")
                first_path = storage_file.relative_path
                storage_file.data = base64.b64encode(b"version 2")
                self.assertNotEqual(storage_file.relative_path, first_path)
                self.assertEqual(self.assertMetadataMatchesObject(storage_file), b"version 2")
                self.assertEqual(self.stored_content(storage_file, first_path), b"version 1")
                storage_file.write({"data": base64.b64encode(b"version 2")})  # unchanged
                self.assertEqual(storage_file.file_size, 9)

    def test_rolled_back_rewrite_keeps_the_old_content(self):
        self.backend.filename_strategy = "name_with_id"
        storage_file = self.new_file(b"committed", name="keep.txt")
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            storage_file.data = base64.b64encode(b"rolled back")
            raise RuntimeError("abort")
        storage_file.invalidate_recordset()
        self.assertEqual(self.assertMetadataMatchesObject(storage_file), b"committed")
        self.assertEqual(base64.b64decode(storage_file.data), b"committed")
        self.assertEqual(len(self.stored_objects()), 2)
        self.Files._gc_storage_files_unsafe()
        self.assertEqual(self.stored_objects(), [storage_file.relative_path])

    def test_urls_of_private_and_public_backends(self):
        storage_file = self.new_file(name="doc.txt")
        base_url = self.env["ir.config_parameter"].get_param("web.base.url")
        self.assertEqual(storage_file.internal_url, f"/storage.file/doc-{storage_file.id}.txt")
        self.assertEqual(storage_file.url, base_url + storage_file.internal_url)
        both = storage_file | self.new_file(name="other.txt")
        self.assertEqual(
            both.mapped("url"), [base_url + url for url in both.mapped("internal_url")]
        )
        # public: the driver's own URL (Swift, S3), else Odoo's still
        self.backend.is_public = True
        storage_file.invalidate_recordset(["url"])
        direct = self.backend._file_driver().url(storage_file.relative_path, 60)
        if direct:
            self.assertEqual(storage_file.url.split("?")[0], direct.split("?")[0])
        else:
            self.assertEqual(storage_file.url, base_url + storage_file.internal_url)
        self.backend.base_url = "https://cdn.example.com/{db}/"
        storage_file.invalidate_recordset(["url"])
        cdn_url = (
            f"https://cdn.example.com/{self.env.cr.dbname}/"
            f"{self.backend._file_key_prefix()}{storage_file.relative_path}"
        )
        # a CDN would serve ciphertext: encrypted files go through Odoo
        encrypted = self.encrypted(self.backend)
        odoo_url = base_url + storage_file.internal_url
        self.assertEqual(storage_file.url, odoo_url if encrypted else cdn_url)
        with self.assertRaises(ValidationError):
            self.backend.base_url = "javascript:alert(1)"

    def test_databases_sharing_a_backend_have_their_own_folder(self):
        shared = self.new_backend(backend_type="fs_url", fs_url="mem://", directory_path=False)
        storage_file = self.new_file(b"mine", name="mine.txt", backend=shared)
        dbname = self.env.cr.dbname
        inner = shared._get_driver()
        self.assertEqual(list(inner.list()), [f"{dbname}/{storage_file.relative_path}"])
        shared.write({"is_public": True, "base_url": "https://cdn.example.com"})
        storage_file.invalidate_recordset(["url"])
        self.assertEqual(
            storage_file.url, f"https://cdn.example.com/{dbname}/{storage_file.relative_path}"
        )
        storage_file.unlink()
        self.Files._gc_storage_files_unsafe()
        self.assertEqual(list(inner.list()), [])

    def test_renaming_changes_the_url_not_the_object(self):
        storage_file = self.new_file(name="draft.txt")
        path = storage_file.relative_path
        storage_file.name = "final.txt"
        self.assertEqual(storage_file.slug, f"final-{storage_file.id}.txt")
        self.assertEqual(storage_file.relative_path, path)

    def test_copy_stores_the_same_content(self):
        self.backend.filename_strategy = "name_with_id"
        original = self.new_file(b"copy me", name="orig.txt")
        duplicate = original.copy({"name": "dup.txt"})
        self.assertNotEqual(duplicate.relative_path, original.relative_path)
        self.assertEqual(self.assertMetadataMatchesObject(duplicate), b"copy me")

    def test_metadata_and_backend_cannot_be_written_directly(self):
        storage_file = self.new_file()
        for vals in ({"checksum": "0" * 64}, {"file_size": 1}, {"to_delete": True}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                storage_file.write(vals)
        admin = storage_file.with_user(self.env.ref("base.user_admin"))
        with self.assertRaises(UserError):
            admin.with_context(storage_file_storing=True).write({"relative_path": "other"})
        with self.assertRaisesRegex(UserError, "cannot change backend"):
            storage_file.backend_id = self.new_backend()
        self.assertMetadataMatchesObject(storage_file)

    def test_size_column_holds_files_over_2_gib(self):
        self.env.cr.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'storage_file' AND column_name = 'file_size'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], "bigint")
