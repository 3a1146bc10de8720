"""storage_backup: memory, temporary disk and speed of a backup of a database
with a large filestore, against Odoo's own dump (``dump_db`` into a temporary
file, then uploaded with raw boto3) in the same run.

    STORAGE_SERVICES_VENV=.venv-services .venv/bin/python -m bench.backup_memory \\
        [--filestore-mb 500] [--file-mb 2]

Starts a private PostgreSQL 15 and SeaweedFS on 127.0.0.1, creates a database
with storage_backup, fills its filestore with incompressible attachments,
then runs each case in a fresh ``odoo-bin shell``:

- ``storage_backup``: a zip backup policy's ``_run_backup()`` (pg_dump and the
  zip streamed into the S3 driver);
- ``dump_db + boto3``: ``odoo.service.db.dump_db(db, tempfile, "zip")`` then
  ``upload_fileobj``, what backup modules built on Odoo's dump do; its upload
  alone is timed too, as the raw client's throughput.

Peak memory is the growth of the Odoo process's resident-set high-water mark
(reset through /proc/self/clear_refs just before) over its resident set then;
pg_dump's own resident set is sampled. Temporary disk is sampled every 50 ms:
regular files that the process and its children hold open in ``$TMPDIR``
(deleted ones too) plus what ``$TMPDIR`` holds. Exits non-zero when the
storage_backup case reaches 100 MB of either.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import odoo as odoo_tools
from harness.postgres import Postgres
from harness.process import install_cleanup, stop_all
from harness.seaweedfs import SeaweedFS

MIB = 1024 * 1024
LIMIT_MB = 100
DATABASE = "bench_backup"
BUCKET = "bench-backups"

FILL = """
import os
count = {count}
for start in range(0, count, 10):
    env["ir.attachment"].create([
        {{"name": f"scan{{i}}.bin", "raw": os.urandom({size})}}
        for i in range(start, min(start + 10, count))
    ])
    env.cr.commit()
s3 = {s3!r}
backend = env["storage.backend"].create({{
    "name": "Bench", "code": "bench", "backend_type": "s3", "aws_host": s3["endpoint_url"],
    "aws_region": s3["region"], "aws_bucket": "{bucket}", "aws_create_bucket": True,
    "aws_access_key_id": s3["access_key"], "aws_secret_access_key": s3["secret_key"],
}})
env["storage.backup.policy"].create({{"name": "bench", "backend_id": backend.id}})
env.cr.commit()
"""

MEASURE = r"""
import json, os, stat, threading, time

TMPDIR = os.environ["TMPDIR"]

def status(pid, field):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0

def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry))
    return found

class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.running = True
        self.tmp_peak = 0
        self.child_rss_peak = 0

    def run(self):
        while self.running:
            pids = [os.getpid(), *children(os.getpid())]
            files = {}
            for pid in pids:
                try:
                    fds = os.listdir(f"/proc/{pid}/fd")
                except OSError:
                    continue
                for fd in fds:
                    try:
                        target = os.readlink(f"/proc/{pid}/fd/{fd}")
                        if target.startswith(TMPDIR):
                            info = os.stat(f"/proc/{pid}/fd/{fd}")
                            if stat.S_ISREG(info.st_mode):
                                files[(info.st_dev, info.st_ino)] = info.st_size
                    except OSError:
                        continue
            for folder, __, names in os.walk(TMPDIR):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except OSError:
                        continue
                    files[(info.st_dev, info.st_ino)] = info.st_size
            self.tmp_peak = max(self.tmp_peak, sum(files.values()))
            for pid in pids[1:]:
                try:
                    self.child_rss_peak = max(self.child_rss_peak, status(pid, "VmHWM:"))
                except OSError:
                    pass
            time.sleep(0.05)

def run_case():
    if CASE == "storage_backup":
        policy = env["storage.backup.policy"].search([("name", "=", "bench")])
        assert policy._run_backup(), policy.last_error
        manifest = policy.backup_ids.sorted("created")[-1]._read_manifest()
        return manifest["size"], None
    import odoo.service.db as db_service
    import tempfile
    driver = env["storage.backend"].search([("code", "=", "bench")])._get_driver()
    with tempfile.TemporaryFile() as archive:
        db_service.dump_db(env.cr.dbname, archive, "zip")
        size = archive.tell()
        archive.seek(0)
        started = time.monotonic()
        driver.client.upload_fileobj(archive, driver.bucket, "core/" + env.cr.dbname + ".zip")
    return size, time.monotonic() - started

env.cr.commit()
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = status(os.getpid(), "VmRSS:")
sampler = Sampler()
sampler.start()
started = time.monotonic()
size, upload_seconds = run_case()
seconds = time.monotonic() - started
sampler.running = False
sampler.join()
env.cr.commit()
print("RESULT " + json.dumps({
    "case": CASE,
    "seconds": seconds,
    "upload_seconds": upload_seconds,
    "archive_mb": size / 2**20,
    "peak_rss_growth_mb": (status(os.getpid(), "VmHWM:") - before) / 2**20,
    "pg_dump_rss_mb": sampler.child_rss_peak / 2**20,
    "tmp_peak_mb": sampler.tmp_peak / 2**20,
}))
"""


def odoo_bin(odoo_src, *args, stdin=None, env=None):
    result = subprocess.run(
        [sys.executable, f"{odoo_src}/odoo-bin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"odoo-bin {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filestore-mb", type=int, default=500)
    parser.add_argument("--file-mb", type=int, default=2)
    args = parser.parse_args()
    odoo_src, reason = odoo_tools.odoo_source()
    if odoo_src is None:
        sys.exit(f"cannot run: {reason}")

    install_cleanup()
    workdir = tempfile.mkdtemp(prefix="bench-backup-")
    os.chmod(workdir, 0o755)  # the postgres user reaches its data directory
    results = []
    try:
        postgres = Postgres(os.path.join(workdir, "postgres")).start()
        s3 = SeaweedFS(parent=workdir).start().settings()
        config = odoo_tools.write_config(
            os.path.join(workdir, "odoo.conf"),
            odoo_src,
            postgres,
            os.path.join(workdir, "data"),
        )
        odoo_bin(
            odoo_src,
            "-c",
            config,
            "-d",
            DATABASE,
            "-i",
            "storage_backup,storage_backend_s3",
            "--without-demo=all",
            "--stop-after-init",
        )
        count = args.filestore_mb // args.file_mb
        print(f"==> filling the filestore: {count} files of {args.file_mb} MB", flush=True)
        shell = ("shell", "-c", config, "-d", DATABASE, "--no-http", "--log-level=warn")
        fill = FILL.format(count=count, size=args.file_mb * MIB, s3=s3, bucket=BUCKET)
        odoo_bin(odoo_src, *shell, stdin=fill)
        tmpdir = os.path.join(workdir, "tmp")
        for case in ("storage_backup", "dump_db + boto3"):
            os.makedirs(tmpdir, exist_ok=True)
            env = dict(os.environ, TMPDIR=tmpdir, PYTHONPATH=str(odoo_tools.ROOT))
            output = odoo_bin(odoo_src, *shell, stdin=f"CASE = {case!r}\n{MEASURE}", env=env)
            line = next(line for line in output.splitlines() if line.startswith("RESULT "))
            results.append(json.loads(line[len("RESULT ") :]))
            print(results[-1], flush=True)
            shutil.rmtree(tmpdir, ignore_errors=True)
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args.filestore_mb)
    streaming = results[0]
    return 0 if max(streaming["peak_rss_growth_mb"], streaming["tmp_peak_mb"]) < LIMIT_MB else 1


def report(results, filestore_mb):
    print(f"\nBackup of a database with {filestore_mb} MB of filestore to SeaweedFS\n")
    print(
        "| case | time (s) | archive (MB) | MB/s | peak RSS growth (MB) | pg_dump RSS (MB) "
        "| peak temporary disk (MB) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        print(
            f"| {result['case']} | {result['seconds']:.1f} | {result['archive_mb']:.0f} "
            f"| {result['archive_mb'] / result['seconds']:.0f} "
            f"| {result['peak_rss_growth_mb']:.1f} | {result['pg_dump_rss_mb']:.1f} "
            f"| {result['tmp_peak_mb']:.1f} |"
        )
    streaming, core = results
    raw_upload = core["archive_mb"] / core["upload_seconds"]
    print(f"\nraw boto3 upload_fileobj of the finished archive: {raw_upload:.0f} MB/s")
    print(f"storage_backup time = {streaming['seconds'] / core['seconds']:.2f} x dump_db + boto3")
    print(
        "storage_backup throughput (dump, zip and upload) = "
        f"{streaming['archive_mb'] / streaming['seconds'] / raw_upload:.2f} x the raw upload alone"
    )
    print(f"limit: storage_backup peak RSS growth and temporary disk < {LIMIT_MB} MB")


if __name__ == "__main__":
    sys.exit(main())
