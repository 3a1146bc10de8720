# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests.common import TransactionCase, new_test_user
from odoo.tools import config

from .common import MATERIAL, master_keys


class TestMasterKeys(TransactionCase):
    def setUp(self):
        super().setUp()
        self.keys = self.env["storage.master.key"]
        # the test run's own environment must not leak in
        patcher = patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        for name in ("STORAGE_KEYMANAGER_MASTER_KEYS", "STORAGE_KEYMANAGER_CURRENT_MASTER_KEY"):
            os.environ.pop(name, None)

    def test_no_key_configured(self):
        self.assertIsNone(self.keys._get_provider())
        self.assertFalse(self.keys.search([]))

    def test_keys_from_the_environment(self):
        with master_keys("k1", "k2"):
            listed = self.keys.search([])
            self.assertEqual(listed.mapped("name"), ["k1", "k2"])
            self.assertEqual(listed.filtered("is_current").name, "k2")
            self.assertEqual(set(listed.mapped("provider")), {"local"})
        with master_keys("k1", "k2", current="k1"):
            self.assertEqual(self.keys.search([("is_current", "=", True)]).name, "k1")

    def test_keys_from_the_configuration_file_environment_wins(self):
        section = {
            "master_keys": f"k1:{MATERIAL['k1']}\nk2:{MATERIAL['k2']}",
            "current_master_key": "k1",
        }
        with patch.dict(config.misc, {"storage_keymanager": section}):
            provider = self.keys._get_provider()
            self.assertEqual((provider.key_ids(), provider.current_key_id), (["k1", "k2"], "k1"))
            with master_keys("k2", current="k2"):  # option by option
                self.assertEqual(self.keys._get_provider().key_ids(), ["k2"])
            with master_keys("k2"), self.assertRaisesRegex(UserError, "'k1' is not configured"):
                self.keys._get_provider()

    def test_key_material_is_never_shown(self):
        with master_keys("k1", "k2"):
            values = self.keys.search_read([])
            self.assertEqual(len(values), 2)
            for material in MATERIAL.values():
                self.assertNotIn(material, repr(values))
                self.assertNotIn(material, repr(self.keys._get_provider()))

    def test_bad_configuration_names_the_key_not_the_material(self):
        broken = MATERIAL["k1"][:20]
        with (
            patch.dict(os.environ, {"STORAGE_KEYMANAGER_MASTER_KEYS": f"k1:{broken}"}),
            self.assertRaisesRegex(UserError, "'k1' must be 32 random bytes") as caught,
        ):
            self.keys._get_provider()
        self.assertNotIn(broken, str(caught.exception))
        with (
            patch.dict(os.environ, {"STORAGE_KEYMANAGER_KEY_PROVIDER": "nowhere"}),
            self.assertRaisesRegex(UserError, "nowhere"),
        ):
            self.keys._get_provider()

    def test_list_view(self):
        action = self.env.ref("storage_keymanager.storage_master_key_action")
        self.assertEqual(action.res_model, "storage.master.key")
        views = self.keys.get_views([(False, "list")])["views"]
        self.assertIn('create="0"', views["list"]["arch"])
        with master_keys("k1", "k2"):
            result = self.keys.web_search_read([], {"name": {}, "is_current": {}})
        self.assertEqual(
            [(row["name"], row["is_current"]) for row in result["records"]],
            [("k1", False), ("k2", True)],
        )

    def test_only_administrators_see_key_ids(self):
        user = new_test_user(self.env, login="key_user", groups="base.group_user")
        with master_keys("k1"), self.assertRaises(AccessError):
            self.keys.with_user(user).search_read([], ["name"])
        admin = new_test_user(self.env, login="key_admin", groups="base.group_system")
        with master_keys("k1"):
            self.assertEqual(self.keys.with_user(admin).search([]).name, "k1")
