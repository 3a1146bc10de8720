"""The driver layer as the top-level package ``storage_drivers``, outside Odoo.

The drivers ship inside the ``storage_backend`` addon
(``storage_backend/storage_drivers``), which Odoo imports as
``odoo.addons.storage_backend.storage_drivers``. They import nothing of Odoo,
so pytest, the benchmarks and the harness load the same folder under the
short name, without importing the addon (whose ``__init__`` needs Odoo).

Inside an Odoo process use the addon's module instead: two copies of the
package in one process would have two sets of exception classes.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

NAME = "storage_drivers"
ADDON_MODULE = "odoo.addons.storage_backend.storage_drivers"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "storage_backend" / NAME


def load():
    """Register ``storage_drivers`` in ``sys.modules`` (once) and return it."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    spec = importlib.util.spec_from_file_location(
        NAME, PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(PACKAGE_DIR)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[NAME]
        raise
    return package


def module(name):
    """Submodule ``name`` (e.g. ``"s3"``) of the driver package this process uses."""
    if "odoo.addons.storage_backend" in sys.modules:
        return importlib.import_module(f"{ADDON_MODULE}.{name}")
    load()
    return importlib.import_module(f"{NAME}.{name}")
