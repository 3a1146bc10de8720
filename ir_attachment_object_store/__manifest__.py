# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Attachments on Object Storage",
    "summary": "Store ir.attachment files on any storage backend (S3, Swift, FTP, disk), "
    "with fallback, migration and database lifecycle",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "depends": ["storage_backend"],
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/storage_backend_views.xml",
        "views/ir_attachment_migration_views.xml",
    ],
    "installable": True,
}
