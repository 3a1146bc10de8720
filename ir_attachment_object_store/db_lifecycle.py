# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Delete a dropped database's attachment objects.

Odoo offers no hook for dropping a database, so ``odoo.service.db.exp_drop``
is wrapped: where the database manager's dispatcher looks it up, and where
``odoo-bin db`` imported it. (Duplicates and restores need no wrapper: a
copy notices it is one when its registry loads, see
``ir.attachment._object_store_check_copied_database``.)

Only this database's space is purged, only objects named like attachments
(``ab/<sha1>``), and not on backends set to keep them. In an HTTP request
the deletion runs in a thread, so a large store cannot time the request out.
"""

import logging
import re
import threading

import odoo.service.db as db_service
from odoo import SUPERUSER_ID, api
from odoo.http import request
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect

from odoo.addons.storage_backend.storage_drivers import StorageError

from .tools.upload_batch import upload_pool

_logger = logging.getLogger(__name__)
MODULE = "ir_attachment_object_store"
ATTACHMENT_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{40}$")


def _spaces_to_purge(db_name):
    """``[(label, driver)]`` of the attachment spaces ``db_name`` owns."""
    with db_connect(db_name).cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [MODULE])
        row = cr.fetchone()
    if not row or row[0] != "installed":
        return []
    with Registry(db_name).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["ir.attachment"]._object_store_spaces_to_purge()


def purge_space(label, driver):
    """Delete every attachment object of one space; return how many."""
    keys = [key for key in driver.list("") if ATTACHMENT_KEY.match(key)]

    def delete(key):
        try:
            driver.delete(key)
            return True
        except StorageError as error:
            _logger.warning("could not delete %s from %s: %s", key, label, error)
            return False

    deleted = sum(upload_pool().map(delete, keys))
    _logger.info("deleted %d of %d attachment objects from %s", deleted, len(keys), label)
    return deleted


def _purge(db_name, spaces):
    for label, driver in spaces:
        try:
            purge_space(label, driver)
        except StorageError as error:
            _logger.error("dropped database %s: its files on %s stay: %s", db_name, label, error)


@db_service.check_db_management_enabled
def exp_drop(db_name):
    try:
        spaces = _spaces_to_purge(db_name) if db_name in db_service.list_dbs(True) else []
    except Exception:  # the drop must happen whatever the state of the database
        _logger.exception("dropped database %s: cannot tell where its files are", db_name)
        spaces = []
    result = _original_exp_drop(db_name)
    if result and spaces:
        if request:
            threading.Thread(
                target=_purge, args=(db_name, spaces), name=f"purge-{db_name}", daemon=True
            ).start()
        else:
            _purge(db_name, spaces)
    return result


exp_drop._object_store = True
_original_exp_drop = db_service.exp_drop


def install():
    """Wrap exp_drop once, wherever it is looked up."""
    global _original_exp_drop
    if getattr(db_service.exp_drop, "_object_store", False):
        return
    _original_exp_drop = db_service.exp_drop
    db_service.exp_drop = exp_drop
    import odoo.cli.db as cli_db

    cli_db.exp_drop = exp_drop
