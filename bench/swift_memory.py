"""Swift driver: a 200 MB round trip, its peak memory, and its speed against
raw python-swiftclient in the same run, on a private Swift (SAIO) on 127.0.0.1.

Usage: .venv/bin/python -m bench.swift_memory [--size-mb 200] [--segment-mb 32] [--repeat 3]

Each phase runs ``--repeat`` times; the best speed and the worst memory are
reported. Peak memory is the growth of the resident set high-water mark
(VmHWM, reset through /proc/self/clear_refs before each run) over the
resident set at the start of the run.
"""

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
import uuid

from swiftclient import client as swiftclient
from swiftclient.service import SwiftService

from harness.drivers import module
from harness.process import install_cleanup, stop_all
from harness.swift import SwiftServer

SwiftDriver = module("swift").SwiftDriver

MIB = 1024 * 1024
TARGET_GROWTH_MIB = 64


class Source(io.RawIOBase):
    """``size`` bytes generated on the fly: a stream of unknown length."""

    def __init__(self, size, block):
        super().__init__()
        self.remaining = size
        self.block = block
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.remaining, len(self.block))
        buffer[:count] = self.block[:count]
        self.digest.update(self.block[:count])
        self.remaining -= count
        return count


def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(label, size, operation, repeat):
    """Best MiB/s and worst peak RSS growth (MiB) of ``operation()``."""
    speeds, growths = [], []
    for __ in range(repeat):
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
        before = _status("VmRSS")
        started = time.perf_counter()
        operation()
        speeds.append(size / MIB / (time.perf_counter() - started))
        growths.append((_status("VmHWM") - before) / MIB)
    print(
        f"| {label} | {max(speeds):.1f} | {max(growths):.1f} |",
        flush=True,
    )
    return max(speeds), max(growths)


def drain(stream, expected):
    digest = hashlib.sha256()
    while chunk := stream.read(MIB):
        digest.update(chunk)
    assert digest.hexdigest() == expected, "the round trip changed the data"


def fill(spool, size, block):
    for __ in range(size // MIB):
        spool.write(block)
    spool.write(block[: size % MIB])
    spool.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--segment-mb", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    size, segment = args.size_mb * 1000 * 1000, args.segment_mb * MIB
    block = os.urandom(MIB)
    source = Source(size, block)
    while source.read(MIB):
        pass
    expected = source.digest.hexdigest()
    install_cleanup()
    server = SwiftServer().start()
    spool = tempfile.TemporaryFile(dir=server.directory)  # noqa: SIM115 - closed below
    try:
        fill(spool, size, block)
        env = server.env()
        container = f"bench-{uuid.uuid4().hex[:8]}"
        credentials = {"auth_url": env["auth_url"], "user": env["user"], "key": env["key"]}
        driver = SwiftDriver(
            container, segment_size=segment, large_object_size=segment, **credentials
        )
        url, token = swiftclient.get_auth(env["auth_url"], env["user"], env["key"])
        swiftclient.put_container(url, token, container)
        service_options = {
            "auth": env["auth_url"],
            "user": env["user"],
            "key": env["key"],
            "segment_size": segment,
            "use_slo": True,
        }

        def raw_put():
            swiftclient.put_object(
                url, token, container, "raw", Source(size, block), chunk_size=MIB
            )

        def raw_get(name):
            body = swiftclient.get_object(url, token, container, name, resp_chunk_size=MIB)[1]
            drain(body, expected)

        def raw_upload_file():
            with SwiftService(service_options) as service:
                path = f"/proc/self/fd/{spool.fileno()}"
                for result in service.upload(container, [path], {"object_name": "raw-slo"}):
                    assert result["success"], result

        def driver_get():
            with driver.open("driver") as stream:
                drain(stream, expected)

        def driver_put_file():
            spool.seek(0)
            driver.put("from-file", spool)

        phases = [
            ("raw put_object (chunked stream, one object)", raw_put),
            (
                "driver put (stream of unknown length)",
                lambda: driver.put("driver", Source(size, block)),
            ),
            ("raw get_object (plain object)", lambda: raw_get("raw")),
            ("raw get_object (the driver's large object)", lambda: raw_get("driver")),
            ("driver open + read (large object)", driver_get),
            ("raw SwiftService.upload (file, large object)", raw_upload_file),
            ("driver put (file of known length)", driver_put_file),
        ]
        print(f"{args.size_mb} MB, {args.segment_mb} MiB segments, best of {args.repeat}")
        print("\n| phase | MiB/s | peak RSS growth (MiB) |\n| --- | --- | --- |")
        results = {label: measure(label, size, run, args.repeat) for label, run in phases}
        assert driver.stat("from-file").size == size

        labels = [label for label, __ in phases]
        print()
        for text, ours, theirs in [
            ("upload of a stream, driver / raw one object", 1, 0),
            ("upload of a file, driver / SwiftService", 6, 5),
            ("download, driver / raw (same object)", 4, 3),
        ]:
            print(f"{text}: {results[labels[ours]][0] / results[labels[theirs]][0]:.2f}")
        worst = max(growth for label, (__, growth) in results.items() if label.startswith("driver"))
        print(f"worst driver peak growth: {worst:.1f} MiB (target < {TARGET_GROWTH_MIB} MiB)")
        return 0 if worst < TARGET_GROWTH_MIB else 1
    finally:
        spool.close()
        server.stop()
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
