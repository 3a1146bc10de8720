"""The S3 driver against a real SeaweedFS (shared, or private for faults)."""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from harness.process import free_port
from harness.seaweedfs import SeaweedFS, bucket_driver
from storage_drivers import ConfigError, ObjectExists, ObjectNotFound, StorageUnavailable
from storage_drivers.s3 import S3Driver, bucket_safe

from .contract import MIB, CountingReader, DriverContract, pattern

# S3's smallest part size, so that a few MiB exercise multipart uploads
SMALL = {"multipart_threshold": 5 * MIB, "part_size": 5 * MIB}
FAST_FAILURE = {"connect_timeout": 1, "read_timeout": 5, "retries": 1}
# whether each server encrypts objects sent with "x-amz-server-side-encryption: AES256"
# (Ceph RGW 16 accepts the header and stores the object in the clear)
SSE_S3_APPLIED = {"seaweedfs": True, "ceph-rgw": False}


def s3_driver(settings, bucket, **options):
    return bucket_driver(settings, bucket, addressing_style="path", **options)


def http_get(url):
    """(status, body) of a plain, unauthenticated HTTP GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def record_calls(driver):
    """Names of the S3 operations the driver's client sends from now on."""
    calls = []
    driver.client.meta.events.register(
        "before-call.s3", lambda model, **kwargs: calls.append(model.name)
    )
    return calls


@pytest.fixture(scope="session")
def s3_bucket(s3_settings):
    bucket = f"tests-{uuid.uuid4().hex[:12]}"
    check = s3_driver(s3_settings, bucket, create_bucket=True).check()  # creates it
    assert check.ok, check.message
    return bucket


@pytest.fixture
def prefix():
    return f"t-{uuid.uuid4().hex[:12]}"


class TestS3Driver(DriverContract):
    @pytest.fixture
    def driver(self, s3_settings, s3_bucket, prefix):
        driver = s3_driver(
            s3_settings,
            s3_bucket,
            prefix=prefix,
            chunk_size=MIB,
            page_size=50,  # the 250-key listing spans 5 pages
            multipart_copy_threshold=6 * MIB,
            **SMALL,
        )
        yield driver
        driver.close()

    def test_multipart_upload_in_bounded_parts(self, driver):
        source = CountingReader(13 * MIB)  # not seekable: 3 parts of at most 5 MiB
        calls = record_calls(driver)
        driver.put("big/stream", source)
        assert source.largest_read <= 5 * MIB + 1  # the first read looks one byte past
        assert calls.count("UploadPart") == 3
        assert driver.stat("big/stream").size == 13 * MIB
        assert driver.get("big/stream") == pattern(0, 13 * MIB)

    def test_object_of_threshold_size_is_one_put(self, driver):
        calls = record_calls(driver)
        driver.put("edge/exact", CountingReader(5 * MIB))
        driver.put("edge/above", CountingReader(5 * MIB + 1))
        assert calls.count("PutObject") == 1
        assert calls.count("CreateMultipartUpload") == 1
        assert driver.get("edge/exact") == pattern(0, 5 * MIB)
        assert driver.get("edge/above") == pattern(0, 5 * MIB + 1)

    def test_listing_is_paginated(self, driver):
        for index in range(120):
            driver.put(f"page/{index:03d}", b"x")
        calls = record_calls(driver)
        assert len(list(driver.list("page/"))) == 120
        assert calls == ["ListObjectsV2"] * 3  # 50 + 50 + 20

    def test_one_client_reused_without_bucket_checks(self, driver):
        client = driver.client
        calls = record_calls(driver)
        for index in range(3):
            driver.put(f"reuse/{index}", b"x")
        driver.get("reuse/0")
        assert driver.client is client
        assert calls == ["PutObject"] * 3 + ["GetObject"]

    def test_write_once_is_atomic_under_concurrency(self, driver):
        outcomes = []

        def writer(index):
            try:
                driver.put("once/key", f"writer {index}".encode(), overwrite=False)
                outcomes.append(index)
            except ObjectExists:
                outcomes.append("exists")

        threads = [threading.Thread(target=writer, args=(index,)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [outcome for outcome in outcomes if outcome != "exists"]
        assert len(winners) == 1 and len(outcomes) == 6
        assert driver.get("once/key") == f"writer {winners[0]}".encode()
        assert driver.conditional_writes is True  # SeaweedFS honours If-None-Match

    def test_write_once_multipart_loses_a_race_cleanly(self, driver, s3_settings, s3_bucket):
        """Another writer creates the key during our upload: the completion is refused."""
        rival = s3_driver(s3_settings, s3_bucket, prefix=driver.prefix)

        class RacingSource(CountingReader):
            raced = False

            def readinto(self, buffer):
                # after the first part (and the existence check), before completion
                if self.sent > 5 * MIB and not self.raced:
                    self.raced = True
                    rival.put("race/key", b"rival")
                return super().readinto(buffer)

        with pytest.raises(ObjectExists):
            driver.put("race/key", RacingSource(11 * MIB), overwrite=False)
        assert driver.get("race/key") == b"rival"
        uploads = driver.client.list_multipart_uploads(Bucket=s3_bucket, Prefix=driver.prefix)
        assert not uploads.get("Uploads"), "the refused upload was not aborted"

    def test_checked_write_when_conditional_writes_are_off(self, s3_settings, s3_bucket, prefix):
        checked = s3_driver(s3_settings, s3_bucket, prefix=prefix, conditional_writes=False)
        checked.put("checked", b"first", overwrite=False)
        calls = record_calls(checked)
        with pytest.raises(ObjectExists):
            checked.put("checked", b"second", overwrite=False)
        assert calls == ["HeadObject"]
        assert checked.get("checked") == b"first"

    def test_metadata(self, s3_settings, s3_bucket, prefix):
        driver = s3_driver(s3_settings, s3_bucket, prefix=prefix, cache_control="max-age=3600")
        driver.put("doc/report.pdf", b"%PDF")
        driver.put("doc/page", b"<p>", content_type="text/html")
        head = driver.client.head_object(Bucket=s3_bucket, Key=f"{prefix}/doc/report.pdf")
        assert head["ContentType"] == "application/pdf"  # guessed from the name
        assert head["CacheControl"] == "max-age=3600"
        head = driver.client.head_object(Bucket=s3_bucket, Key=f"{prefix}/doc/page")
        assert head["ContentType"] == "text/html"
        assert driver.get("doc/report.pdf") == b"%PDF"

    def test_server_side_encryption_applied_or_refused(self, s3_settings, s3_bucket, prefix):
        """Objects are encrypted by the server as asked, or nothing is written at all."""
        driver = s3_driver(s3_settings, s3_bucket, prefix=prefix, server_side_encryption="AES256")
        if SSE_S3_APPLIED[s3_settings["server"]]:
            driver.put("doc/secret.pdf", b"%PDF")
            driver.copy("doc/secret.pdf", "doc/copy.pdf")
            for key in ("doc/secret.pdf", "doc/copy.pdf"):
                head = driver.client.head_object(Bucket=s3_bucket, Key=f"{prefix}/{key}")
                assert head["ServerSideEncryption"] == "AES256"
            assert driver.get("doc/secret.pdf") == b"%PDF"
        else:
            with pytest.raises(ConfigError, match="did not apply it"):
                driver.put("doc/secret.pdf", b"%PDF")
            result = driver.check()  # "Test connection" says why
            assert not result.ok and "did not apply it" in result.message
            assert list(driver.list("")) == []  # not even the probe is left

    def test_multipart_copy_keeps_metadata(self, driver, s3_bucket):
        driver.put("copy/src.bin", CountingReader(13 * MIB), content_type="image/png")
        calls = record_calls(driver)
        driver.copy("copy/src.bin", "copy/dst.bin")
        assert calls.count("UploadPartCopy") == 3
        assert "CopyObject" not in calls
        assert driver.get("copy/dst.bin") == pattern(0, 13 * MIB)
        head = driver.client.head_object(Bucket=s3_bucket, Key=f"{driver.prefix}copy/dst.bin")
        assert head["ContentType"] == "image/png"

    def test_copy_to_another_bucket_is_server_side(self, driver, s3_settings):
        other = s3_driver(s3_settings, driver.bucket, prefix=f"{driver.prefix}elsewhere")
        other_bucket = s3_driver(s3_settings, "tests-copy-target", create_bucket=True)
        driver.put("doc", b"duplicate me", content_type="text/plain")
        calls = record_calls(other_bucket)
        driver.copy_to(other_bucket, "doc", f"{driver.prefix}doc")
        assert calls == ["CopyObject"]  # no byte went through this process
        assert other_bucket.get(f"{driver.prefix}doc") == b"duplicate me"
        driver.copy_to(other, "doc", "copied")
        assert other.get("copied") == b"duplicate me"
        stranger = s3_driver(dict(s3_settings, secret_key="other"), "tests-copy-target")
        assert not driver._copy_to(stranger, "doc", "x")  # other credentials: streamed

    def test_presigned_url(self, driver):
        driver.put("shared/file.txt", b"for your eyes")
        url = driver.url("shared/file.txt", expires=2)
        assert "X-Amz-Signature=" in url
        assert http_get(url) == (200, b"for your eyes")
        tampered = url.replace("shared/file.txt", "shared/other.txt")
        assert http_get(tampered)[0] == 403
        signature = url.rpartition("X-Amz-Signature=")[2]
        forged = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
        assert http_get(forged)[0] == 403
        time.sleep(3)
        assert http_get(url)[0] == 403  # expired

    def test_public_url_needs_no_signature(self, s3_settings, s3_bucket, prefix):
        public = s3_driver(s3_settings, s3_bucket, prefix=f"{prefix}/public", acl="public-read")
        private = s3_driver(s3_settings, s3_bucket, prefix=f"{prefix}/private")
        # SeaweedFS serves anonymous reads by bucket policy (it ignores object ACLs)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{s3_bucket}/{prefix}/public/*"],
                }
            ],
        }
        public.client.put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps(policy))
        try:
            public.put("logo.svg", b"<svg/>")
            private.put("secret.txt", b"secret")
            url = public.url("logo.svg")
            assert "?" not in url and url.endswith(f"/{prefix}/public/logo.svg")
            assert http_get(url) == (200, b"<svg/>")
            assert http_get(private.url("secret.txt").partition("?")[0])[0] == 403
        finally:
            public.client.delete_bucket_policy(Bucket=s3_bucket)

    def test_db_placeholder_in_prefix(self, s3_settings, s3_bucket, prefix):
        tenant = s3_driver(s3_settings, s3_bucket, prefix=f"{prefix}/{{db}}/files", db="Prod_1")
        tenant.put("a.txt", b"tenant data")
        root = s3_driver(s3_settings, s3_bucket, prefix=prefix)
        assert list(root.list("")) == ["Prod_1/files/a.txt"]
        assert tenant.label.startswith(f"S3 bucket {s3_bucket}/{prefix}/Prod_1/files/")

    def test_bucket_created_on_demand_from_a_template(self, s3_settings):
        db = f"Auto_{uuid.uuid4().hex[:8]}"
        driver = s3_driver(s3_settings, "odoo-{db}", db=db, create_bucket=True)
        assert driver.bucket == f"odoo-{bucket_safe(db)}" == f"odoo-{db.lower().replace('_', '-')}"
        driver.put("k", b"v")
        names = [bucket["Name"] for bucket in driver.client.list_buckets()["Buckets"]]
        assert driver.bucket in names
        calls = record_calls(driver)
        driver.put("k2", b"v")
        assert calls == ["PutObject"]  # the bucket is checked once, not per operation


def test_wrong_secret_is_access_denied(s3_settings, s3_bucket):
    settings = dict(s3_settings, secret_key="wrong-secret-value")
    driver = s3_driver(settings, s3_bucket, **FAST_FAILURE)
    with pytest.raises(StorageUnavailable, match="access denied"):
        driver.put("k", b"x")
    with pytest.raises(StorageUnavailable, match="access denied"):
        driver.exists("k")
    result = driver.check()
    assert not result.ok and "access denied" in result.message
    assert "wrong-secret-value" not in result.message + repr(driver) + driver.label


def test_missing_bucket_says_so(s3_settings):
    driver = s3_driver(s3_settings, f"missing-{uuid.uuid4().hex[:8]}", **FAST_FAILURE)
    with pytest.raises(StorageUnavailable, match="does not exist"):
        driver.put("k", b"x")
    with pytest.raises(StorageUnavailable, match="does not exist"):
        list(driver.list(""))
    result = driver.check()
    assert not result.ok and f"bucket {driver.bucket!r} does not exist" in result.message


def test_unreachable_endpoint(s3_settings):
    settings = dict(s3_settings, endpoint_url=f"http://127.0.0.1:{free_port()}")
    driver = s3_driver(settings, "nowhere", **FAST_FAILURE)
    started = time.monotonic()
    result = driver.check()
    assert not result.ok and "is unreachable" in result.message
    assert time.monotonic() - started < 10
    with pytest.raises(StorageUnavailable, match="unreachable"):
        driver.get("k")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"bucket": "ab"}, "invalid bucket name"),
        ({"bucket": "Upper"}, "invalid bucket name"),
        ({"bucket": "{db}-files"}, "no database name"),
        ({"endpoint_url": "ftp://host"}, "http"),
        ({"endpoint_url": "http://user:pw@host"}, "no credentials"),
        ({"part_size": MIB}, "5 MiB"),
        ({"acl": "public-read-write"}, "unknown ACL"),
        ({"server_side_encryption": "rot13"}, "encryption"),
        ({"addressing_style": "dns"}, "addressing"),
        ({"access_key": "only-the-key"}, "both"),
        ({"prefix": "../up"}, "'..'"),
    ],
)
def test_configuration_errors(options, error):
    options = {"bucket": "valid-bucket", **options}
    with pytest.raises(ConfigError, match=error):
        S3Driver(options.pop("bucket"), **options)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("path", "http://s3.example.test:9000/my-bucket/dir/a%20b.txt?"),
        ("virtual", "http://my-bucket.s3.example.test:9000/dir/a%20b.txt?"),
    ],
)
def test_addressing_styles(style, expected):
    driver = S3Driver(
        "my-bucket",
        prefix="dir",
        endpoint_url="http://s3.example.test:9000",
        access_key="key",
        secret_key="secret",
        addressing_style=style,
    )
    assert driver.url("a b.txt", expires=60).startswith(expected)


@pytest.fixture(scope="module")
def fault_server():
    server = SeaweedFS().start()
    yield server
    server.stop()


@pytest.fixture
def private_s3(fault_server):
    """A SeaweedFS of this module's own, to kill and restart, up for each test."""
    if fault_server.process is None:
        fault_server.start()
    return fault_server


def fault_driver(server, prefix, **options):
    options = {**FAST_FAILURE, **options}
    return s3_driver(server.settings(), "faults", prefix=prefix, create_bucket=True, **options)


def test_server_killed_mid_upload_leaves_no_object(private_s3, prefix):
    driver = fault_driver(private_s3, prefix, **SMALL)
    driver.put("keep", b"old")

    class KillingSource(CountingReader):
        def readinto(self, buffer):
            if self.sent >= 12 * MIB:
                private_s3.kill()
            return super().readinto(buffer)

    with pytest.raises(StorageUnavailable, match="unreachable"):
        driver.put("keep", KillingSource(40 * MIB))
    private_s3.start()  # same data directory and ports
    with pytest.raises(StorageUnavailable, match="unreachable"):
        driver.put("new", KillingSource(40 * MIB))
    private_s3.start()
    assert driver.get("keep") == b"old"
    assert not driver.exists("new")
    assert sorted(driver.list("")) == ["keep"]


def test_server_killed_mid_download(private_s3, prefix):
    driver = fault_driver(private_s3, prefix)
    driver.put("big", CountingReader(24 * MIB))
    with driver.open("big") as stream:
        assert stream.read(MIB) == pattern(0, MIB)
        private_s3.kill()
        with pytest.raises(StorageUnavailable):
            while stream.read(MIB):
                pass
    with pytest.raises(StorageUnavailable, match="unreachable"):
        driver.stat("big")
    private_s3.start()
    assert driver.stat("big").size == 24 * MIB  # the same driver recovers by itself


def test_retries_ride_out_a_restart(private_s3, prefix):
    # enough attempts for a restart on a loaded machine (SeaweedFS answers
    # 500 while it starts); the test lasts as long as the restart
    driver = fault_driver(private_s3, prefix, retries=15)
    driver.put("k", b"still here")
    sends = []
    driver.client.meta.events.register("before-send.s3", lambda **kwargs: sends.append(1))
    private_s3.kill()
    restart = threading.Timer(0.5, private_s3.start)
    restart.start()
    try:
        assert driver.get("k") == b"still here"  # refused, backed off, retried
    finally:
        restart.join()
    assert len(sends) > 1


def test_missing_object_is_not_unavailable(s3_settings, s3_bucket):
    driver = s3_driver(s3_settings, s3_bucket)
    with pytest.raises(ObjectNotFound):
        driver.copy(f"absent-{uuid.uuid4().hex}", "target")
