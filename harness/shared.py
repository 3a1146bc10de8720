"""Servers shared by the pytest and Odoo runs of one test command.

Each entry starts one server and returns environment variables telling the
tests how to reach it (``STORAGE_TEST_<NAME>`` holding JSON). The tests start
a private server themselves when the variable is absent, and always for
fault tests that stop a server. The servers start side by side (Ceph's
start-up is mostly waiting).
"""

from concurrent.futures import ThreadPoolExecutor

from . import ceph, seaweedfs, swift


def _start_ceph(workdir):
    missing = ceph.missing_commands()
    if missing:
        line = "!" * 78
        print(f"\n{line}\nCEPH TESTS WILL BE SKIPPED: {ceph.skip_reason()}\n{line}\n", flush=True)
        return {}
    return ceph.start_shared(workdir)


SHARED_SERVICES = [seaweedfs.start_shared, swift.start_shared, _start_ceph]


def start_shared_services(workdir):
    env = {}
    with ThreadPoolExecutor(len(SHARED_SERVICES)) as pool:
        for started in [pool.submit(start, workdir) for start in SHARED_SERVICES]:
            env.update(started.result())
    return env
