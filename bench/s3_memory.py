"""Memory and throughput of the S3 driver against a real SeaweedFS.

Uploads then downloads one large object (200 MB by default) through the
driver and through raw boto3 (``upload_fileobj`` / ``download_fileobj``, its
transfer manager with default settings), each case in a fresh Python process,
and reports the peak RSS growth of that process and the throughput.

    STORAGE_SERVICES_VENV=.venv-services .venv/bin/python bench/s3_memory.py [--size-mb 200]
"""

import argparse
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness import drivers  # noqa: E402  (after the path is set)

drivers.load()  # the driver layer as ``storage_drivers``

MIB = 1024 * 1024
CASES = ("driver-upload", "driver-download", "boto3-upload", "boto3-download")
LIMIT_MB = 64


class Source(io.RawIOBase):
    """``size`` bytes made on the fly: a non-seekable stream holding 1 MiB."""

    def __init__(self, size):
        super().__init__()
        self.block = hashlib.sha256(b"bench").digest() * (MIB // 32)
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.left, MIB)
        buffer[:count] = self.block[:count]
        self.left -= count
        return count


class Sink(io.RawIOBase):
    """Counts what it is given and keeps none of it.

    Seekable, so that boto3's transfer manager writes its parallel ranges in
    place (with a non-seekable sink it stalls on a 200 MB object).
    """

    def __init__(self):
        super().__init__()
        self.size = 0
        self.position = 0

    def writable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        self.position = offset if whence == 0 else self.position + offset
        return self.position

    def tell(self):
        return self.position

    def write(self, data):
        self.position += len(data)
        self.size += len(data)
        return len(data)


def rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run_case(case, settings, bucket, key, size):
    """One measurement, in this (fresh) process; returns a result dict."""
    from storage_drivers.s3 import S3Driver

    driver = S3Driver(bucket, **_driver_options(settings), **settings["driver"])
    client = driver.client
    driver.put(f"warm-up/{uuid.uuid4().hex}", b"x")  # connections, imports, lazy state
    before = rss_bytes()
    started = time.monotonic()
    if case == "driver-upload":
        driver.put(key, Source(size))
        moved = size
    elif case == "driver-download":
        moved = 0
        with driver.open(key) as stream:
            while chunk := stream.read(MIB):
                moved += len(chunk)
    elif case == "boto3-upload":
        client.upload_fileobj(Source(size), bucket, key)
        moved = size
    else:
        sink = Sink()
        client.download_fileobj(bucket, key, sink)
        moved = sink.size
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if moved != size:
        raise RuntimeError(f"{case}: moved {moved} bytes instead of {size}")
    return {
        "case": case,
        "seconds": seconds,
        "mb_per_s": size / MIB / seconds,
        "peak_growth_mb": (peak - before) / MIB,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--part-mb", type=int, help="driver part size (default: the driver's)")
    parser.add_argument("--concurrency", type=int, help="driver parts in flight")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_mb * MIB
    if args.case:
        settings = json.loads(args.settings)
        print(json.dumps(run_case(args.case, settings, settings["bucket"], settings["key"], size)))
        return 0

    from harness.process import install_cleanup
    from harness.seaweedfs import SeaweedFS
    from storage_drivers.s3 import S3Driver

    install_cleanup()
    server = SeaweedFS().start()
    try:
        settings = server.settings()
        settings["bucket"] = "bench"
        settings["driver"] = {}
        if args.part_mb:
            settings["driver"].update(
                part_size=args.part_mb * MIB, multipart_threshold=args.part_mb * MIB
            )
        if args.concurrency:
            settings["driver"]["max_concurrency"] = args.concurrency
        S3Driver("bench", create_bucket=True, **_driver_options(settings)).check()
        results = []
        for case in CASES:
            settings["key"] = f"{case.split('-')[0]}/object"
            results.append(run_in_child(__file__, case, args.size_mb, settings))
            print(results[-1], file=sys.stderr, flush=True)
    finally:
        server.stop()
    report(results, args.size_mb)
    worst = max(result["peak_growth_mb"] for result in results if "driver" in result["case"])
    return 0 if worst < LIMIT_MB else 1


def run_in_child(script, case, size_mb, settings):
    """Run ``script --case ...`` in a fresh process (its own peak RSS); the
    JSON result it prints last."""
    command = [sys.executable, script, "--case", case, "--size-mb", str(size_mb)]
    command += ["--settings", json.dumps(settings)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _driver_options(settings):
    return {
        "endpoint_url": settings["endpoint_url"],
        "region": settings["region"],
        "access_key": settings["access_key"],
        "secret_key": settings["secret_key"],
    }


def report(results, size_mb):
    by_case = {result["case"]: result for result in results}
    print(f"\nS3 driver vs raw boto3, one {size_mb} MB object, SeaweedFS on 127.0.0.1\n")
    print("| case | time (s) | MB/s | peak RSS growth (MB) |")
    print("| --- | ---: | ---: | ---: |")
    for result in results:
        print(
            f"| {result['case']} | {result['seconds']:.2f} | {result['mb_per_s']:.0f} "
            f"| {result['peak_growth_mb']:.1f} |"
        )
    for direction in ("upload", "download"):
        ratio = (
            by_case[f"driver-{direction}"]["mb_per_s"] / by_case[f"boto3-{direction}"]["mb_per_s"]
        )
        print(f"\n{direction}: driver throughput = {ratio:.2f} x raw boto3", end="")
    print(f"\n\nlimit: driver peak RSS growth < {LIMIT_MB} MB")


if __name__ == "__main__":
    sys.exit(main())
