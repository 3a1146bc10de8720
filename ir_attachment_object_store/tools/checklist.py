# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The garbage collector's checklist of remote object names."""

from odoo.sql_db import db_connect


class ObjectChecklist:
    """Names of objects to check, kept outside of any request transaction.

    Like core's checklist folder, it is not transactional: every access runs
    on a connection of its own and is committed at once, so a mark outlives
    a rollback of the transaction that made it, and the collector sees marks
    made after its own transaction started.
    """

    def __init__(self, dbname):
        self.dbname = dbname

    @staticmethod
    def create_table(cr):
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS ir_attachment_object_checklist (
                store_fname varchar PRIMARY KEY,
                create_date timestamp NOT NULL DEFAULT (now() at time zone 'UTC')
            )
            """
        )

    def _cursor(self):
        return db_connect(self.dbname).cursor()  # commits when the block ends

    def add(self, fnames):
        if fnames:
            with self._cursor() as cr:
                cr.execute(
                    "INSERT INTO ir_attachment_object_checklist (store_fname) "
                    "SELECT unnest(%s::varchar[]) "
                    "ON CONFLICT DO NOTHING",
                    [sorted(set(fnames))],
                )

    def fetch(self, limit):
        with self._cursor() as cr:
            cr.execute(
                "SELECT store_fname FROM ir_attachment_object_checklist "
                "ORDER BY create_date LIMIT %s",
                [limit],
            )
            return [row[0] for row in cr.fetchall()]

    def remove(self, fnames):
        if fnames:
            with self._cursor() as cr:
                cr.execute(
                    "DELETE FROM ir_attachment_object_checklist WHERE store_fname = ANY(%s)",
                    [list(fnames)],
                )

    def __contains__(self, fname):
        with self._cursor() as cr:
            cr.execute(
                "SELECT 1 FROM ir_attachment_object_checklist WHERE store_fname = %s", [fname]
            )
            return bool(cr.fetchone())
