# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Storage Files",
    "summary": "Files with metadata and URLs on any storage backend",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["storage_backend"],
    "data": [
        "security/ir.model.access.csv",
        "security/storage_file_security.xml",
        "data/ir_cron.xml",
        "views/storage_file_views.xml",
        "views/storage_backend_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["storage_file/static/tests/tours/*.js"],
    },
    "installable": True,
}
