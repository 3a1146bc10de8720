# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests.common import new_test_user

from .common import StorageFileCase


class TestStorageFileAccess(StorageFileCase):
    """Internal users use the files of their companies; a file linked to a
    record follows that record; portal and public users get nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, login="sf_user", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="sf_portal", groups="base.group_portal")
        cls.public = cls.env.ref("base.public_user")

    def test_internal_user_reads_and_creates_unlinked_files(self):
        storage_file = self.new_file(name="memo.txt")
        as_user = storage_file.with_user(self.user)
        self.assertEqual(as_user.read(["name"])[0]["name"], "memo.txt")
        self.assertTrue(as_user.data)
        self.assertTrue(as_user.url)
        mine = self.Files.with_user(self.user).create(
            {"name": "mine.html", "data": "PGI+aGk8L2I+", "backend_id": self.backend.id}
        )
        self.assertEqual(mine.mimetype, "text/plain", "active content is neutered")
        self.assertMetadataMatchesObject(mine)
        mine.unlink()
        self.assertTrue(mine.sudo().to_delete)

    def test_portal_and_public_users_read_nothing(self):
        storage_file = self.new_file()
        for user in (self.portal, self.public):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                storage_file.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                self.Files.with_user(user).search([])
        self.assertFalse(self.Files.with_user(self.portal)._get_by_slug(storage_file.slug))

    def test_file_of_another_company_is_hidden(self):
        other = self.env["res.company"].create({"name": "Other company"})
        storage_file = self.new_file(company_id=other.id)
        self.assertFalse(self.Files.with_user(self.user).search([("id", "=", storage_file.id)]))
        with self.assertRaises(AccessError):
            storage_file.with_user(self.user).read(["name"])

    def test_linked_file_follows_its_record(self):
        # storage backends are for administrators only: a handy unreadable record
        secret = self.new_file(
            name="secret.txt", res_model="storage.backend", res_id=self.backend.id
        )
        partner = self.env["res.partner"].create({"name": "Readable"})
        visible = self.new_file(name="visible.txt", res_model="res.partner", res_id=partner.id)
        Files = self.Files.with_user(self.user)
        found = Files.search([("id", "in", [secret.id, visible.id])])
        self.assertEqual(found, visible)
        # the hidden file comes first: the page is filled from the next rows
        page = Files.search([("id", "in", [secret.id, visible.id])], limit=1, order="id")
        self.assertEqual(page, visible)
        self.assertEqual(Files.search_count([("id", "in", [secret.id, visible.id])]), 1)
        with self.assertRaises(AccessError):
            secret.with_user(self.user).read(["name"])
        with self.assertRaises(AccessError):
            secret.with_user(self.user).unlink()
        self.assertFalse(Files._get_by_slug(secret.slug))
        self.assertEqual(Files._get_by_slug(visible.slug), visible)
        admin = new_test_user(self.env, login="sf_admin", groups="base.group_system")
        self.assertEqual(secret.with_user(admin).read(["name"])[0]["name"], "secret.txt")

    def test_linking_to_an_unwritable_record_is_refused(self):
        with self.assertRaises(AccessError):
            self.Files.with_user(self.user).create(
                {
                    "name": "x.txt",
                    "data": "eA==",
                    "backend_id": self.backend.id,
                    "res_model": "storage.backend",
                    "res_id": self.backend.id,
                }
            )
        mine = self.new_file().with_user(self.user)
        with self.assertRaises(AccessError):
            mine.write({"res_model": "storage.backend", "res_id": self.backend.id})
        self.assertEqual(self.stored_objects(), [mine.sudo().relative_path])
