# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Take over the backends of OCA's storage_backend_s3.

The columns keep their names (aws_host, aws_bucket, ...); only values whose
meaning changed are rewritten, before the new selections are loaded (a
selection value that disappears would otherwise be reset).
"""

from odoo.tools.sql import column_exists

from odoo.addons.storage_backend.storage_drivers.s3 import ACLS


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE storage_backend SET backend_type = 's3' WHERE backend_type = 'amazon_s3'")
    if column_exists(cr, "storage_backend", "aws_other_region"):
        # OCA's region was a selection with "other" pointing to a free-text field
        cr.execute(
            """
            UPDATE storage_backend SET aws_region = NULLIF(aws_other_region, '')
             WHERE aws_region = 'other'
            """
        )
    if column_exists(cr, "storage_backend", "aws_file_acl"):
        # OCA allowed ACLs this addon refuses (e.g. public-read-write) and an empty one
        cr.execute(
            """
            UPDATE storage_backend
               SET aws_file_acl = CASE WHEN aws_file_acl LIKE 'public-read%%'
                                       THEN 'public-read' ELSE 'private' END
             WHERE aws_file_acl IS NULL OR NOT aws_file_acl = ANY(%s)
            """,
            [list(ACLS)],
        )
