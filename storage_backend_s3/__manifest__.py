# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Storage Backend S3",
    "summary": "Store files on Amazon S3 or any S3-compatible server "
    "(MinIO, Ceph, SeaweedFS, Wasabi, Scaleway...)",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["storage_backend"],
    "external_dependencies": {"python": ["boto3"]},
    "data": ["views/storage_backend_views.xml"],
    "assets": {
        "web.assets_tests": ["storage_backend_s3/static/tests/tours/*.js"],
    },
    "installable": True,
}
