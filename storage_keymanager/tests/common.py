# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.addons.storage_backend.storage_drivers.master_keys import generate_key
from odoo.addons.storage_backend.tests.common import StorageBackendCase

MATERIAL = {key_id: generate_key() for key_id in ("k1", "k2")}
SECRET = b"Payroll 2025: J. Smith 4,200.00 EUR, IBAN DE89 3704 0044 0532 0130 00. "


def master_keys(*key_ids, current=None):
    """Configure these master keys in the environment while the patch is active."""
    variables = {
        "STORAGE_KEYMANAGER_MASTER_KEYS": " ".join(
            f"{key_id}:{MATERIAL[key_id]}" for key_id in key_ids
        )
    }
    if current:
        variables["STORAGE_KEYMANAGER_CURRENT_MASTER_KEY"] = current
    return patch.dict(os.environ, variables)


class KeyManagerCase(StorageBackendCase):
    def use_keys(self, *key_ids, current=None):
        """Configure these master keys until the end of the test."""
        self.start_patch(master_keys(*key_ids, current=current))

    def start_patch(self, patcher):
        patcher.start()
        self.addCleanup(patcher.stop)

    def stored_bytes(self, backend, path):
        with open(os.path.join(self.root_of(backend), path), "rb") as handle:
            return handle.read()

    def slot_ids(self, backend, path):
        header = backend._get_driver().header(path)
        return [slot.key_id for slot in header.slots if slot]
