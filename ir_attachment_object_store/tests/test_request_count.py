# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""In the steady state, a write is one request to the backend, a read one too.

Swift's requests are counted by the server itself (the proxy's access log);
S3's as botocore puts them on the wire (its ``before-send`` event).
"""

import re
import time
import uuid

from odoo.tests import tagged

from .common import ObjectStoreCase, S3Backend, SwiftBackend

ACCESS_LINE = re.compile(r" (?P<method>[A-Z]+) /v1/[^/ ]+/(?P<container>[^/ ]+)/\S* HTTP/1")


@tagged("post_install", "-at_install")
class TestRequestCountSwift(SwiftBackend, ObjectStoreCase):
    def requests_during(self, operation):
        """The proxy's log lines for this backend's container during ``operation``."""
        container = self.driver.container
        with open(self.swift["proxy_log"], "rb") as log:
            log.seek(0, 2)
            operation()
            # a marker request: once it is logged, everything before it is too
            marker = f"marker-{uuid.uuid4().hex}"
            self.driver.exists(marker)
            deadline = time.monotonic() + 10
            lines = []
            while time.monotonic() < deadline:
                lines += log.read().decode(errors="replace").splitlines()
                if any(marker in line for line in lines):
                    break
                time.sleep(0.05)
        requests = (ACCESS_LINE.search(line) for line in lines if marker not in line)
        return [match["method"] for match in requests if match and match["container"] == container]

    def test_one_request_per_write_and_per_read(self):
        self.create_attachment(self.unique_data())  # warm-up: token, container check
        data = self.unique_data(20000)
        attachments = []
        writes = self.requests_during(lambda: attachments.append(self.create_attachment(data)))
        self.assertEqual(writes, ["PUT"])

        def read():
            attachments[0].invalidate_recordset()
            self.assertEqual(attachments[0].raw, data)

        self.assertEqual(self.requests_during(read), ["GET"])

        # the same content again: still one request, refused by Swift itself
        self.assertEqual(self.requests_during(lambda: self.create_attachment(data)), ["PUT"])


@tagged("post_install", "-at_install")
class TestRequestCountS3(S3Backend, ObjectStoreCase):
    def requests_during(self, operation):
        client = self.driver._unwrap("key")[0].client
        sent = []

        def count(request, **kwargs):
            sent.append(request.method)

        client.meta.events.register("before-send.s3", count)
        try:
            operation()
        finally:
            client.meta.events.unregister("before-send.s3", count)
        return sent

    test_one_request_per_write_and_per_read = (
        TestRequestCountSwift.test_one_request_per_write_and_per_read
    )
