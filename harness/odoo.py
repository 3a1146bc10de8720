"""Locate Odoo, find the suite's addons and run odoo-bin."""

import ast
import os
import sys
from pathlib import Path

from .process import free_port

ROOT = Path(__file__).resolve().parent.parent


def odoo_source():
    """``(path, None)`` when Odoo 17 is usable, else ``(None, reason)``."""
    path = Path(os.environ.get("ODOO_SRC") or Path.home() / "odoo-17.0")
    if not (path / "odoo-bin").is_file():
        return None, f"no Odoo source at {path} (set ODOO_SRC to an Odoo 17.0 checkout)"
    release = (path / "odoo" / "release.py").read_text()
    if "version_info = (17, 0" not in release:
        return None, f"{path} is not Odoo 17.0"
    try:
        import odoo  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        sys.path.insert(0, str(path))
    try:
        import psycopg2  # noqa: F401  pylint: disable=unused-import
        import werkzeug  # noqa: F401  pylint: disable=unused-import
    except ImportError as error:
        return None, f"Odoo's requirements are not installed ({error})"
    return path, None


def suite_addons():
    """Installable addons at the repository root, in name order."""
    addons = []
    for manifest in sorted(ROOT.glob("*/__manifest__.py")):
        values = ast.literal_eval(manifest.read_text())
        if values.get("installable", True):
            addons.append(manifest.parent.name)
    return addons


def write_config(path, odoo_src, postgres, data_dir, **options):
    """An odoo.conf (passwords stay out of the process list); HTTP ports not
    given are free ones, so that runs side by side never collide."""
    options.setdefault("http_port", free_port())
    options.setdefault("gevent_port", free_port())
    values = {
        "addons_path": f"{odoo_src}/odoo/addons,{odoo_src}/addons,{ROOT}",
        "data_dir": str(data_dir),
        **postgres.odoo_options(),
        "http_interface": "127.0.0.1",
        "max_cron_threads": "0",
        "list_db": "True",
        **options,
    }
    lines = ["[options]"] + [f"{key} = {value}" for key, value in values.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def odoo_command(odoo_src, config_path, *args):
    return [sys.executable, str(Path(odoo_src) / "odoo-bin"), "-c", str(config_path), *args]
