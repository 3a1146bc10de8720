# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Database Backups on Storage Backends",
    "summary": "Scheduled database backups streamed to any storage backend (S3, Swift, FTP, "
    "disk), with retention, download and restore",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "depends": ["storage_backend", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/storage_backup_policy_views.xml",
        "views/storage_backup_views.xml",
        "views/storage_backend_views.xml",
        "wizards/storage_backup_restore_views.xml",
    ],
    "installable": True,
}
