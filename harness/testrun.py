"""The test command: driver tests (pytest), beside the addons' Odoo tests.

Usage: python -m harness.testrun [--drivers-only | --odoo-only] [--addons a,b]
       [-k PYTEST_EXPRESSION]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import odoo as odoo_tools
from .postgres import Postgres
from .process import Process, install_cleanup, stop_all
from .shared import start_shared_services

ODOO_SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
ODOO_SKIP = re.compile(r" INFO \S+ \S+: skipped ")
ODOO_ERROR = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def __str__(self):
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def banner(text):
    line = "!" * 78
    print(f"\n{line}\n{text}\n{line}\n", flush=True)
    if not sys.stdout.isatty():
        print(text, file=sys.stderr, flush=True)


def start_pytest(workdir, env, extra_args, log_path=None):
    """Start pytest; with ``log_path`` its output goes there instead of the console."""
    report = os.path.join(workdir, "pytest.xml")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        *extra_args,
    ]
    print("==> driver tests:", " ".join(command), flush=True)
    return Process("pytest", command, log_path, env=env, cwd=odoo_tools.ROOT).start()


def pytest_counts(workdir, returncode):
    report = os.path.join(workdir, "pytest.xml")
    if not os.path.exists(report):
        return Counts(failed=1)
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (
        int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")
    )
    counts = Counts(
        passed=total - failures - errors - skipped, failed=failures + errors, skipped=skipped
    )
    if returncode not in (0, 1, 5) and not counts.failed:
        counts.failed = 1  # pytest itself broke (usage or internal error)
    return counts


def run_odoo_tests(workdir, env, addons, odoo_src):
    postgres = Postgres(os.path.join(workdir, "postgres")).start()
    config_path = odoo_tools.write_config(
        os.path.join(workdir, "odoo.conf"),
        odoo_src,
        postgres,
        os.path.join(workdir, "odoo-data"),
    )
    command = odoo_tools.odoo_command(
        odoo_src,
        config_path,
        "-d",
        "storage_test",
        "-i",
        ",".join(addons),
        "--test-tags",
        ",".join(f"/{addon}" for addon in addons),
        "--test-enable",
        "--stop-after-init",
        "--log-level=info",
    )
    print("==> Odoo tests:", " ".join(command), flush=True)
    summary, skipped, skipped_classes, errors = None, 0, 0, []
    process = subprocess.Popen(
        command,
        env=env,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    for line in process.stdout:
        sys.stdout.write(line)
        summary = ODOO_SUMMARY.search(line) or summary
        if ODOO_SKIP.search(line):
            # a class skipped in setUpClass is not among the tests run
            skipped_classes += "skipped setUpClass" in line
            skipped += 1
        if ODOO_ERROR.match(line):
            errors.append(line.rstrip())
    returncode = process.wait()
    postgres.stop()
    if summary is None:
        banner(f"Odoo exited with {returncode} before reporting test results")
        return Counts(failed=1)
    failures, test_errors, total = (int(value) for value in summary.groups())
    counts = Counts(
        passed=max(total - failures - test_errors - (skipped - skipped_classes), 0),
        failed=failures + test_errors,
        skipped=skipped,
    )
    if total == 0:
        banner("Odoo ran no test")
        counts.failed += 1
    elif not counts.failed and (returncode or errors):
        banner("Odoo logged errors outside of any failing test:\n" + "\n".join(errors[:20]))
        counts.failed += 1
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers-only", action="store_true")
    parser.add_argument("--odoo-only", action="store_true")
    parser.add_argument("--addons", help="comma-separated addons (default: all)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    args = parser.parse_args(argv)

    install_cleanup()
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="storage-test-")
    os.chmod(workdir, 0o755)  # the postgres user must reach its data directory
    totals = Counts()
    try:
        env = dict(os.environ, **start_shared_services(workdir))
        # Odoo tests may import harness (e.g. to stop a server mid-operation)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(odoo_tools.ROOT), env.get("PYTHONPATH")])
        )
        odoo_src, reason = (None, None) if args.drivers_only else odoo_tools.odoo_source()
        pytest_log = os.path.join(workdir, "pytest.log")
        pytest = None
        if not args.odoo_only:
            pytest_args = ["-k", args.keyword] if args.keyword else []
            # with Odoo's tests to run too, pytest runs beside them (its
            # output is shown when it ends): most of it waits on servers
            pytest = start_pytest(workdir, env, pytest_args, pytest_log if odoo_src else None)
            if not odoo_src:
                totals.add(pytest_counts(workdir, pytest.popen.wait()))
        if not args.drivers_only:
            addons = args.addons.split(",") if args.addons else odoo_tools.suite_addons()
            if odoo_src is None:
                banner(
                    f"ODOO TESTS SKIPPED: {reason}.\n"
                    f"Only the driver tests ran; {len(addons)} addons were not tested."
                )
                totals.skipped += len(addons)
            else:
                totals.add(run_odoo_tests(workdir, env, addons, odoo_src))
        if pytest is not None and odoo_src:
            returncode = pytest.popen.wait()
            print("\n==> driver tests (run beside Odoo's):", flush=True)
            with open(pytest_log, errors="replace") as log:
                sys.stdout.write(log.read())
            totals.add(pytest_counts(workdir, returncode))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        totals.failed += 1
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntest run took {time.monotonic() - started:.0f}s", flush=True)
    print(totals, flush=True)
    return 1 if totals.failed or not totals.passed else 0


if __name__ == "__main__":
    sys.exit(main())
