"""Throughput and memory of encryption at rest (storage_drivers.encryption).

1. The cipher alone: one object encrypted then decrypted in memory.
2. Transfers: one large object (200 MB by default) uploaded then downloaded
   through the plain driver and through the encrypting wrapper, each case in
   a fresh Python process (best of ``--repeat`` runs: the machine may be
   shared), reporting throughput and peak RSS growth. The backend is S3 (a
   real SeaweedFS on 127.0.0.1) when the S3 driver is available, else local
   disk (and the report says so).

    STORAGE_SERVICES_VENV=.venv-services .venv/bin/python bench/encryption.py \
        [--size-mb 200] [--repeat 3] [--backend s3|local]

Targets: encrypted throughput >= 90 % of plaintext; memory bounded: the
encrypting wrapper adds less than 16 MB of peak RSS growth to the plain
driver's (whose own buffers, e.g. S3 multipart parts, are the driver's
business), whatever the object size.
"""

import argparse
import hashlib
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.s3_memory import MIB, Source, run_in_child  # noqa: E402  (after the path is set; loads storage_drivers)

CASES = ("plain-upload", "encrypted-upload", "plain-download", "encrypted-download")
RATIO_TARGET = 0.90
EXTRA_MEMORY_LIMIT_MB = 16


def memory_bytes(field):
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def cpu_seconds():
    """CPU time of this process, all threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def master_keys():
    from storage_drivers.master_keys import LocalMasterKeys

    return LocalMasterKeys({"bench": hashlib.sha256(b"bench key").digest()})


def make_inner(settings):
    if settings["backend"] == "local":
        from storage_drivers import LocalDriver

        return LocalDriver(settings["root"])
    from storage_drivers.s3 import S3Driver

    return S3Driver(settings["bucket"], **settings["s3"])


def bench_cipher(size):
    """Encrypt ``size`` bytes into memory, then decrypt them; MiB/s of each."""
    from storage_drivers.encrypted_streams import decrypting_reader, encrypting_reader

    keys = master_keys()
    encrypted = io.BytesIO()
    started = time.monotonic()
    stream = encrypting_reader(Source(size), keys)
    while chunk := stream.read(MIB):
        encrypted.write(chunk)
    encrypt = time.monotonic() - started
    encrypted.seek(0)
    started = time.monotonic()
    received = 0
    with decrypting_reader(encrypted, keys) as stream:
        while chunk := stream.read(MIB):
            received += len(chunk)
    decrypt = time.monotonic() - started
    assert received == size
    return {"encrypt_mb_per_s": size / MIB / encrypt, "decrypt_mb_per_s": size / MIB / decrypt}


def run_case(case, settings, size):
    """One transfer in this (fresh) process; returns a result dict."""
    from storage_drivers.encryption import EncryptingDriver

    inner = make_inner(settings)
    kind, direction = case.split("-")
    driver = EncryptingDriver(inner, master_keys()) if kind == "encrypted" else inner
    key = f"{kind}/object"
    driver.put("warm-up", b"x")  # connections, imports, lazy state
    driver.get("warm-up")
    before = memory_bytes("VmRSS")
    cpu_before = cpu_seconds()
    started = time.monotonic()
    if direction == "upload":
        driver.put(key, Source(size))
        moved = size
    else:
        moved = 0
        with driver.open(key) as stream:
            while chunk := stream.read(MIB):
                moved += len(chunk)
    seconds = time.monotonic() - started
    cpu = cpu_seconds() - cpu_before
    if moved != size:
        raise RuntimeError(f"{case}: moved {moved} bytes instead of {size}")
    return {
        "case": case,
        "seconds": seconds,
        "mb_per_s": size / MIB / seconds,
        "cpu_s_per_gb": cpu * 1024 * MIB / size,
        "peak_growth_mb": (memory_bytes("VmHWM") - before) / MIB,
    }


def s3_available():
    try:
        import storage_drivers.s3  # noqa: F401  pylint: disable=unused-import
        from harness import seaweedfs  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        return False
    return True


def start_backend(name, workdir):
    """``(settings, stop)`` of the backend to measure."""
    if name == "local":
        return {"backend": "local", "root": os.path.join(workdir, "store")}, lambda: None
    from harness.process import install_cleanup
    from harness.seaweedfs import SeaweedFS
    from storage_drivers.s3 import S3Driver

    install_cleanup()
    server = SeaweedFS(parent=workdir).start()
    options = server.settings()
    s3 = {name: options[name] for name in ("endpoint_url", "region", "access_key", "secret_key")}
    S3Driver("bench", create_bucket=True, **s3).put("created", b"")
    return {"backend": "s3", "bucket": "bench", "s3": s3}, server.stop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=("s3", "local"))
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_mb * MIB
    if args.case:
        print(json.dumps(run_case(args.case, json.loads(args.settings), size)))
        return 0

    backend = args.backend or ("s3" if s3_available() else "local")
    cipher_runs = [bench_cipher(size) for __ in range(args.repeat)]
    cipher = {name: max(run[name] for run in cipher_runs) for name in cipher_runs[0]}
    workdir = tempfile.mkdtemp(prefix="bench-encryption-")
    settings, stop = start_backend(backend, workdir)
    runs = {case: [] for case in CASES}
    try:
        for __ in range(args.repeat):
            for case in CASES:
                runs[case].append(run_in_child(__file__, case, args.size_mb, settings))
    finally:
        stop()
        shutil.rmtree(workdir, ignore_errors=True)
    results = [
        dict(
            min(case_runs, key=lambda run: run["seconds"]),
            peak_growth_mb=max(run["peak_growth_mb"] for run in case_runs),
        )
        for case_runs in runs.values()
    ]
    return report(cipher, results, backend, args.size_mb, args.repeat)


def report(cipher, results, backend, size_mb, repeat):
    where = "SeaweedFS S3 on 127.0.0.1" if backend == "s3" else "local disk (no S3 driver here)"
    print(f"\nEncryption at rest, one {size_mb} MB object, {where}, best of {repeat}\n")
    print(
        f"cipher alone (in memory): encrypt {cipher['encrypt_mb_per_s']:.0f} MB/s, "
        f"decrypt {cipher['decrypt_mb_per_s']:.0f} MB/s\n"
    )
    print("| case | time (s) | MB/s | client CPU (s/GB) | peak RSS growth (MB, worst) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for result in results:
        print(
            f"| {result['case']} | {result['seconds']:.2f} | {result['mb_per_s']:.0f} "
            f"| {result['cpu_s_per_gb']:.2f} | {result['peak_growth_mb']:.1f} |"
        )
    by_case = {result["case"]: result for result in results}
    ok = True
    print()
    for direction in ("upload", "download"):
        ratio = (
            by_case[f"encrypted-{direction}"]["mb_per_s"]
            / by_case[f"plain-{direction}"]["mb_per_s"]
        )
        ok &= ratio >= RATIO_TARGET
        print(f"{direction}: encrypted throughput = {ratio:.0%} of plaintext")
    extra = max(
        by_case[f"encrypted-{direction}"]["peak_growth_mb"]
        - by_case[f"plain-{direction}"]["peak_growth_mb"]
        for direction in ("upload", "download")
    )
    ok &= extra < EXTRA_MEMORY_LIMIT_MB
    print(f"memory: encryption adds at most {max(extra, 0):.1f} MB of peak RSS growth")
    print(
        f"\ntargets: encrypted >= {RATIO_TARGET:.0%} of plaintext, encryption adds "
        f"< {EXTRA_MEMORY_LIMIT_MB} MB: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
