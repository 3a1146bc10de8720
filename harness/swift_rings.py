"""Write the account, container and object rings of a one-device Swift.

Run with the Python of the services virtualenv (it imports swift), in isolated
mode (-I) so that harness/swift.py does not shadow the swift package:
``python swift_rings.py SWIFT_DIR ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT``.
It does what ``swift-ring-builder <ring>.builder create/add/rebalance`` does,
for the three rings in one process: a second instead of nine commands.
"""

import os
import sys

from swift.common.ring import RingBuilder

PART_POWER = 6  # 64 partitions: plenty for one device
DEVICE = "d1"


def write_ring(swift_dir, name, port):
    builder = RingBuilder(PART_POWER, 1, 0)
    builder.add_dev(
        {
            "id": 0,
            "region": 1,
            "zone": 1,
            "ip": "127.0.0.1",
            "port": port,
            "device": DEVICE,
            "weight": 1.0,
            "meta": "",
        }
    )
    builder.rebalance()
    builder.save(os.path.join(swift_dir, f"{name}.builder"))
    builder.get_ring().save(os.path.join(swift_dir, f"{name}.ring.gz"))


def main(swift_dir, *ports):
    for name, port in zip(("account", "container", "object"), ports, strict=True):
        write_ring(swift_dir, name, int(port))


if __name__ == "__main__":
    main(*sys.argv[1:])
