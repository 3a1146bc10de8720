# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Database Backups with Attachment Objects",
    "summary": "Backups of storage_backup also save the attachment files that "
    "ir_attachment_object_store keeps on storage backends, and restore them",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["storage_backup", "ir_attachment_object_store"],
    "data": ["views/storage_backup_policy_views.xml"],
    "auto_install": True,
    "installable": True,
}
