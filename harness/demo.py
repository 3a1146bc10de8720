"""The main job: Odoo serving a demo database with the whole suite installed.

State (PostgreSQL cluster, filestore, storage) lives in .run/ and survives
restarts. Ctrl-C stops Odoo and PostgreSQL.

Usage: python -m harness.demo [--port 8069] [--check]
  --check: start, wait until the login page answers, then stop (smoke test).
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.request

from . import odoo as odoo_tools
from .postgres import Postgres
from .process import Process, install_cleanup, stop_all

DATABASE = "storage_demo"


def master_password(state):
    path = os.path.join(state, "master-password")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(16))
    with open(path) as handle:
        return handle.read().strip()


def wait_for_http(url, process, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.describe_failure())
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8069)))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)

    odoo_src, reason = odoo_tools.odoo_source()
    if odoo_src is None:
        sys.exit(f"cannot run the demo: {reason}")
    install_cleanup()
    state = os.environ.get("STORAGE_DEMO_DIR") or str(odoo_tools.ROOT / ".run")
    os.makedirs(state, exist_ok=True)
    os.chmod(state, 0o755)  # the postgres user must reach its data directory
    postgres = Postgres(os.path.join(state, "postgres"), throwaway=False).start()
    try:
        config_path = odoo_tools.write_config(
            os.path.join(state, "odoo.conf"),
            odoo_src,
            postgres,
            os.path.join(state, "odoo-data"),
            http_port=args.port,
            admin_passwd=master_password(state),
            max_cron_threads=1,
            db_name=DATABASE,
            dbfilter=f"^{DATABASE}$",
        )
        addons = ",".join(odoo_tools.suite_addons())
        exists = postgres.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").strip()
        print(
            f"==> {'updating' if exists else 'creating'} database {DATABASE} with {addons}",
            flush=True,
        )
        subprocess.run(
            odoo_tools.odoo_command(
                odoo_src,
                config_path,
                "-d",
                DATABASE,
                "-u" if exists else "-i",
                addons,
                "--stop-after-init",
            ),
            check=True,
        )
        server = Process(
            "odoo", odoo_tools.odoo_command(odoo_src, config_path), os.path.join(state, "odoo.log")
        ).start()
        url = f"http://127.0.0.1:{args.port}"
        wait_for_http(f"{url}/web/login", server)
        print(
            f"\nOdoo is up on {url} (database {DATABASE}, login admin / password admin).\n"
            f"Storage backends: Settings > Technical > Storage Backends (developer mode).\n"
            f"Log: {server.log_path}. Ctrl-C stops Odoo and PostgreSQL.",
            flush=True,
        )
        if not args.check:
            while server.poll() is None:
                time.sleep(1)
            raise RuntimeError(server.describe_failure())
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
