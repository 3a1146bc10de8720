"""Attachments on S3 against the filestore and raw boto3, in one run.

Starts PostgreSQL and SeaweedFS on 127.0.0.1, creates a database with
ir_attachment_object_store and storage_backend_s3, then measures against the
same SeaweedFS:

1. raw boto3 ``put_object`` / ``get_object`` of the very bytes used below, with
   1 and 8 threads;
2. ``ir.attachment`` create and read with location ``file`` and with the S3
   backend: 2,000 x 10 KB and 40 x 4 MB files, created 100 (small) or 10
   (large) per ``create()`` call, read one record at a time and as one
   recordset; and, as the floor of a one-by-one read, the row's SQL query
   followed by a raw ``get_object``. Every read is timed as the best of three
   runs;
3. migration of a filestore (3,000 small + 10 x 8 MB files) to S3 by
   ``odoo-bin object-store migrate --transfers 8`` in a process of its own (its
   peak RSS is reported), against a raw 8-thread upload of the same files; and
   a second migration with three times the large files, to show that peak
   memory does not follow the data size.

    STORAGE_SERVICES_VENV=.venv-services .venv/bin/python bench/attachments.py [--quick]
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness import odoo as odoo_tools  # noqa: E402
from harness.postgres import Postgres  # noqa: E402
from harness.process import install_cleanup, stop_all  # noqa: E402
from harness.seaweedfs import SeaweedFS  # noqa: E402

KB, MB = 1024, 1024 * 1024
DATABASE = "bench_attachments"


def payloads(count, size, seed):
    """Distinct contents (no deduplication can help)."""
    block = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    return [str(index).encode().rjust(16, b"0") + block[: size - 16] for index in range(count)]


def rate(count, size, seconds):
    return {"files/s": count / seconds, "MB/s": count * size / MB / seconds}


class Raw:
    """boto3 alone, on a bucket of its own."""

    def __init__(self, settings):
        import boto3

        self.client = boto3.client(
            "s3",
            endpoint_url=settings["endpoint_url"],
            region_name=settings["region"],
            aws_access_key_id=settings["access_key"],
            aws_secret_access_key=settings["secret_key"],
        )
        self.bucket = "raw-bench"
        self.client.create_bucket(Bucket=self.bucket)

    def put(self, items, threads):
        def one(item):
            key, data = item
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

        return timed(one, items, threads)

    def put_files(self, paths, threads):
        def one(path):
            with open(path, "rb") as handle:
                self.client.put_object(Bucket=self.bucket, Key=f"files/{path}", Body=handle)

        return timed(one, paths, threads)

    def get(self, keys, threads):
        def one(key):
            self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

        return timed(one, keys, threads)


def best_of(measure, times=3):
    """The shortest of ``times`` runs of ``measure()``, in seconds: reads can be
    repeated, and the best run is the least disturbed by a busy machine."""
    durations = []
    for __ in range(times):
        started = time.perf_counter()
        measure()
        durations.append(time.perf_counter() - started)
    return min(durations)


def timed(function, items, threads):
    started = time.perf_counter()
    if threads == 1:
        for item in items:
            function(item)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(function, items))
    return time.perf_counter() - started


def odoo_measures(config_path, backend_settings, small, large, raw):
    """Create and read attachments through the ORM, for ``file`` and for S3.

    Also times the floor of a one-by-one read outside the ORM: the row's SQL
    query then a raw ``get_object`` of its object, one after the other.
    """
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", config_path])
    registry = Registry(DATABASE)
    results = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["storage.backend"].create(backend_settings)
        cr.commit()
        for location in ("file", "s3"):
            env["ir.config_parameter"].set_param("ir_attachment.location", location)
            cr.commit()
            for name, contents, per_call in (("small", small, 100), ("large", large, 10)):
                records = env["ir.attachment"]
                started = time.perf_counter()
                for start in range(0, len(contents), per_call):
                    records |= env["ir.attachment"].create(
                        [
                            {
                                "name": f"{location}-{name}",
                                "raw": data,
                                "mimetype": "application/octet-stream",
                            }
                            for data in contents[start : start + per_call]
                        ]
                    )
                    cr.commit()
                create = time.perf_counter() - started
                size = len(contents[0])

                def read_one_by_one(records=records, size=size):
                    records.invalidate_recordset()
                    # a fresh browse() per read: iterating ``records`` would
                    # share their prefetch set and compute many records per read
                    for record_id in records.ids:
                        assert len(env["ir.attachment"].browse(record_id).raw) == size

                def read_recordset(records=records, size=size):
                    records.invalidate_recordset()
                    assert sum(map(len, records.mapped("raw"))) == len(records) * size

                read_one = best_of(read_one_by_one)
                read_set = best_of(read_recordset)
                results[(location, name)] = (create, read_one, read_set)
                if location == "s3":
                    results[("sql+raw", name)] = best_of(
                        lambda records=records: sql_then_get(cr, records, raw)
                    )
                records.invalidate_recordset()
    return results


def sql_then_get(cr, records, raw):
    for record_id in records.ids:
        cr.execute("SELECT store_fname FROM ir_attachment WHERE id = %s", [record_id])
        key = cr.fetchone()[0].split("://", 1)[1]
        raw.client.get_object(Bucket="attachments", Key=f"{DATABASE}/{key}")["Body"].read()


def make_filestore(config_path, count_small, count_large, seed):
    """Attachments in the filestore (location ``file``), as before a migration."""
    script = f"""
import hashlib
env["ir.config_parameter"].set_param("ir_attachment.location", "file")
def payload(index, size):
    block = hashlib.sha256(b"{seed}" + str(index).encode()).digest()
    return (block * (size // 32 + 1))[:size]
for start in range(0, {count_small}, 500):
    env["ir.attachment"].create([
        {{"name": "m", "raw": payload(i, 10 * 1024), "mimetype": "application/octet-stream"}}
        for i in range(start, min(start + 500, {count_small}))
    ])
    env.cr.commit()
for i in range({count_large}):
    env["ir.attachment"].create({{"name": "M", "raw": payload(10**6 + i, 8 * 1024 * 1024),
                                 "mimetype": "application/octet-stream"}})
    env.cr.commit()
env["ir.config_parameter"].set_param("ir_attachment.location", "s3")
env.cr.commit()
"""
    odoo_bin("shell", "-c", config_path, "-d", DATABASE, "--no-http", stdin=script)


# runs a command and reports the peak RSS of that command alone
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
    "file=sys.stderr); sys.exit(code)"
)


def odoo_bin(*args, stdin=None):
    odoo_src, __ = odoo_tools.odoo_source()
    command = [
        sys.executable,
        "-c",
        MEASURE,
        sys.executable,
        f"{odoo_src}/odoo-bin",
        f"--addons-path={odoo_src}/odoo/addons,{odoo_src}/addons,{ROOT}",
        *args,
    ]
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"odoo-bin {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def migrate(config_path):
    """Run the migration command; its throughput and the process's peak RSS."""
    result = odoo_bin(
        "object-store",
        "migrate",
        "-c",
        config_path,
        "-d",
        DATABASE,
        "--to",
        "s3",
        "--transfers",
        "8",
        "--batch-size",
        "200",
    )
    peak_kb = int(re.search(r"PEAK_RSS_KB (\d+)", result.stderr).group(1))
    summary = [line for line in result.stderr.splitlines() if line.startswith("moved:")][-1]
    moved = re.search(r"moved: ([\d,]+)/", summary).group(1).replace(",", "")
    speed = re.search(r", ([\d.]+) (\w+)/s, ", summary)
    unit = {"B": 1 / MB, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[speed.group(2)]
    return int(moved), float(speed.group(1)) * unit, peak_kb / 1024, summary


def filestore_paths(data_dir):
    root = os.path.join(data_dir, "filestore", DATABASE)
    return [
        os.path.join(folder, name)
        for folder, __, names in os.walk(root)
        if "checklist" not in folder
        for name in names
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the files")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    odoo_src, reason = odoo_tools.odoo_source()
    if odoo_src is None:
        sys.exit(reason)
    install_cleanup()
    workdir = tempfile.mkdtemp(prefix="bench-attachments-")
    os.chmod(workdir, 0o755)
    try:
        postgres = Postgres(os.path.join(workdir, "postgres")).start()
        seaweed = SeaweedFS(workdir).start()
        settings = seaweed.settings()
        data_dir = os.path.join(workdir, "data")
        config_path = odoo_tools.write_config(
            os.path.join(workdir, "odoo.conf"),
            odoo_src,
            postgres,
            data_dir,
            log_level="warn",
        )
        print("creating the database...", flush=True)
        odoo_bin(
            "-c",
            config_path,
            "-d",
            DATABASE,
            "-i",
            "storage_backend_s3,ir_attachment_object_store",
            "--without-demo=all",
            "--stop-after-init",
        )

        small = payloads(2000 // scale, 10 * KB, "small")
        large = payloads(max(40 // scale, 4), 4 * MB, "large")
        raw = Raw(settings)
        report = {}
        for name, contents in (("small", small), ("large", large)):
            items = [(f"{name}/{index}", data) for index, data in enumerate(contents)]
            for threads in (1, 8):
                items_t = [(f"t{threads}/{key}", data) for key, data in items]
                put = raw.put(items_t, threads)
                get = best_of(
                    lambda items_t=items_t, threads=threads: raw.get(
                        [key for key, __ in items_t], threads
                    )
                )
                report[("raw", name, threads)] = (put, get)

        backend = {
            "name": "S3",
            "code": "s3",
            "backend_type": "s3",
            "aws_bucket": "attachments",
            "aws_create_bucket": True,
            "aws_host": settings["endpoint_url"],
            "aws_region": settings["region"],
            "aws_access_key_id": settings["access_key"],
            "aws_secret_access_key": settings["secret_key"],
        }
        print("creating and reading attachments...", flush=True)
        orm = odoo_measures(config_path, backend, small, large, raw)

        print("\n| files | what | create | read (one by one) | read (one recordset) |")
        print("| --- | --- | --- | --- | --- |")
        for name, contents in (("small", small), ("large", large)):
            count, size = len(contents), len(contents[0])
            label = f"{count} x {size // KB} KB" if size < MB else f"{count} x {size // MB} MB"
            unit = "files/s" if name == "small" else "MB/s"
            for threads in (1, 8):
                put, get = report[("raw", name, threads)]
                print(
                    f"| {label} | raw boto3, {threads} thread(s) | "
                    f"{rate(count, size, put)[unit]:.1f} {unit} | "
                    f"{rate(count, size, get)[unit]:.1f} {unit} | |"
                )
            raw_put, raw_get = report[("raw", name, 1)]
            floor = orm[("sql+raw", name)]
            print(
                f"| {label} | SQL row query + raw boto3 get, 1 thread | | "
                f"{rate(count, size, floor)[unit]:.1f} {unit} ({raw_get / floor:.0%}) | |"
            )
            for location in ("file", "s3"):
                create, read_one, read_set = orm[(location, name)]
                print(
                    f"| {label} | ir.attachment on {location} | "
                    f"{rate(count, size, create)[unit]:.1f} {unit} ({raw_put / create:.0%}) | "
                    f"{rate(count, size, read_one)[unit]:.1f} {unit} ({raw_get / read_one:.0%}) | "
                    f"{rate(count, size, read_set)[unit]:.1f} {unit} ({raw_get / read_set:.0%}) |"
                )
        print("(percentages: of raw boto3 with 1 thread)")

        print("\nmigration of a filestore to S3 (8 workers)...", flush=True)
        idle = odoo_bin(
            "object-store", "migrate", "-c", config_path, "-d", DATABASE, "--to", "s3", "--dry-run"
        )
        idle_mb = int(re.search(r"PEAK_RSS_KB (\d+)", idle.stderr).group(1)) / 1024
        print(f"  the same command moving nothing (--dry-run): peak RSS {idle_mb:.0f} MB")
        migrations = []
        for count_small, count_large in ((3000 // scale, 10), (0, 30)):
            make_filestore(config_path, count_small, count_large, seed=f"m{count_large}")
            paths = filestore_paths(data_dir)
            raw_seconds = raw.put_files(paths, 8)
            raw_mb_s = sum(os.path.getsize(path) for path in paths) / MB / raw_seconds
            moved, mb_s, peak_mb, summary = migrate(config_path)
            migrations.append((count_small, count_large, moved, mb_s, raw_mb_s, peak_mb))
            print(f"  {summary}")
            # the next run starts from an empty filestore
            shutil.rmtree(os.path.join(data_dir, "filestore", DATABASE), ignore_errors=True)
        print("\n| filestore | files moved | migration | raw boto3, 8 threads | ratio | peak RSS |")
        print("| --- | --- | --- | --- | --- | --- |")
        for count_small, count_large, moved, mb_s, raw_mb_s, peak_mb in migrations:
            print(
                f"| {count_small} x 10 KB + {count_large} x 8 MB | {moved} | {mb_s:.1f} MB/s | "
                f"{raw_mb_s:.1f} MB/s | {mb_s / raw_mb_s:.0%} | {peak_mb:.0f} MB |"
            )
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
