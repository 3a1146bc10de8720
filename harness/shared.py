"""Servers shared by the pytest and Odoo runs of one test command.

Each entry starts one server and returns environment variables telling the
tests how to reach it (``STORAGE_TEST_<NAME>`` holding JSON). The tests start
a private server themselves when the variable is absent, and always for
fault tests that stop a server.
"""

from . import seaweedfs, swift

SHARED_SERVICES = [seaweedfs.start_shared, swift.start_shared]


def start_shared_services(workdir):
    env = {}
    for start in SHARED_SERVICES:
        env.update(start(workdir))
    return env
