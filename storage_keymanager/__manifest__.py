# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Storage Key Manager",
    "summary": "Encrypt files at rest on any storage backend, with master keys "
    "kept out of the database and key rotation",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["storage_backend"],
    "external_dependencies": {"python": ["cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/storage_backend_views.xml",
        "views/storage_master_key_views.xml",
    ],
    "installable": True,
}
