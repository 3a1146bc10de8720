# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Storage Backend: OpenStack Swift",
    "summary": "Store files in OpenStack Swift containers (v1 or Keystone v3 "
    "authentication, large objects, temporary URLs)",
    "version": "17.0.1.0.0",
    "category": "Technical",
    "license": "AGPL-3",
    "author": "Object Storage Suite contributors",
    "maintainers": [],
    "depends": ["storage_backend"],
    "external_dependencies": {"python": ["python-swiftclient"]},
    "data": ["views/storage_backend_views.xml"],
    "installable": True,
}
