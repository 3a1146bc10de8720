# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Storage Backends",
    "summary": "Configurable storage backends (local disk, PyFilesystem2 URLs) "
    "with the OCA storage_backend API",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["base"],
    "external_dependencies": {"python": ["fs"]},
    "data": [
        "security/ir.model.access.csv",
        "data/storage_backend_data.xml",
        "views/storage_backend_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["storage_backend/static/tests/tours/*.js"],
    },
    "installable": True,
}
