"""The Swift driver against a real Swift (SAIO from PyPI ``swift``, tempauth)."""

import io
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
from swiftclient import client as swiftclient

from storage_drivers import ConfigError, ObjectExists, StorageError, StorageUnavailable
from storage_drivers.swift import SwiftDriver
from storage_drivers.swift_auth import SwiftAuth

from .contract import MIB, CountingReader, DriverContract, pattern

# a temporary URL refused: Swift says 401; Ceph RGW 403 for a bad signature, 401 once expired
REFUSED = (401, 403)


def make_driver(service, **options):
    values = {
        "auth_url": service["auth_url"],
        "user": service["user"],
        "key": service["key"],
        "chunk_size": MIB,
        # small sizes so that the contract's 8 MiB stream is a large object
        "segment_size": 2 * MIB,
        "large_object_size": 3 * MIB,
        "page_size": 50,  # the listing test needs three pages
        "backoff": 0.05,
        **options,
    }
    return SwiftDriver(values.pop("container", f"test-{uuid.uuid4().hex[:12]}"), **values)


def segments(driver):
    """Names in the driver's segments container (which it never lists itself)."""
    url, token = driver.auth.credentials()
    try:
        return [
            item["name"]
            for item in swiftclient.get_container(
                url, token, driver.segment_container, full_listing=True
            )[1]
        ]
    except swiftclient.ClientException as error:
        assert error.http_status == 404
        return []


def head(driver, key):
    url, token = driver.auth.credentials()
    return swiftclient.head_object(url, token, driver.container, key)


def grant_temp_url_key(service, driver, key):
    """What an administrator does for ``key`` to sign temporary URLs: nothing on
    Swift (the driver sets it on its container); on Ceph RGW, which only honours
    account keys, set it on the account."""
    if service["server"] == "ceph-rgw":
        url, token = driver.auth.credentials()
        swiftclient.post_account(url, token, {"X-Account-Meta-Temp-URL-Key": key})


def auth_requests(service):
    """Authentications the server has served so far, from its access log."""
    path = urlsplit(service["auth_url"]).path
    with open(service["access_log"], errors="replace") as log:
        return sum(f" GET {path} " in line or f'"GET {path} ' in line for line in log)


class TestSwiftDriver(DriverContract):
    many_keys = 120  # each upload is a HEAD and a PUT

    @pytest.fixture
    def driver(self, swift_service):
        driver = make_driver(swift_service)
        yield driver
        driver.close()


@pytest.fixture
def driver(swift_service):
    driver = make_driver(swift_service)
    yield driver
    driver.close()


def test_large_object_is_segmented_and_deleted_with_its_segments(driver):
    data = os.urandom(7 * MIB)
    driver.put("big/known", data)  # known length over large_object_size
    assert head(driver, "big/known")["x-static-large-object"] == "True"
    assert len(segments(driver)) == 4  # 2 MiB segments
    assert driver.get("big/known") == data
    assert driver.stat("big/known").size == 7 * MIB
    assert [stat.size for stat in driver.scan("big/")] == [7 * MIB]
    driver.delete("big/known")
    assert not driver.exists("big/known")
    assert segments(driver) == []


def test_unknown_length_stream_decides_after_one_segment(driver):
    driver.put("small", CountingReader(MIB + 5))  # ends within the look-ahead
    assert "x-static-large-object" not in head(driver, "small")
    source = CountingReader(5 * MIB)
    driver.put("large", source)
    assert source.largest_read <= MIB
    assert head(driver, "large")["x-static-large-object"] == "True"
    assert len(segments(driver)) == 3
    assert driver.get("large") == pattern(0, 5 * MIB)


def test_replacing_a_large_object_deletes_its_old_segments(driver):
    driver.put("doc", os.urandom(5 * MIB))
    first = segments(driver)
    driver.put("doc", os.urandom(4 * MIB))
    second = segments(driver)
    assert len(second) == 2 and not set(first) & set(second)
    driver.put("doc", b"small now")
    assert segments(driver) == []
    assert driver.get("doc") == b"small now"


def test_failed_large_upload_removes_its_segments(driver):
    driver.put("keep", b"previous")
    with pytest.raises(RuntimeError):
        driver.put("keep", CountingReader(9 * MIB, fail_after=5 * MIB))
    assert segments(driver) == []
    assert driver.get("keep") == b"previous"
    assert sorted(driver.list("")) == ["keep"]


def test_overwrite_false_is_enforced_by_swift(swift_service, driver):
    """Another writer creates the key during our upload: Swift refuses ours."""
    rival = make_driver(swift_service, container=driver.container)

    class RacingSource(CountingReader):
        def readinto(self, buffer):
            if self.sent == 3 * MIB:
                rival.put("contested", b"the rival won")
            return super().readinto(buffer)

    with pytest.raises(ObjectExists):
        driver.put("contested", RacingSource(6 * MIB), overwrite=False)
    assert driver.get("contested") == b"the rival won"
    assert segments(driver) == []


def test_copy_of_a_large_object_is_independent(driver):
    """Swift copies a large object into a plain one; Ceph RGW's copies would share
    the original's segments, so the driver streams them into segments of their own."""
    data = os.urandom(5 * MIB)
    driver.put("original", data)
    driver.copy("original", "copy")
    driver.delete("original")
    assert driver.get("copy") == data
    assert all(name.startswith("copy/") for name in segments(driver))
    driver.copy("copy", "again")  # learned: no server-side attempt this time
    driver.delete("copy")
    assert driver.get("again") == data
    driver.delete("again")
    assert segments(driver) == []


def test_content_type_is_stored(driver):
    driver.put("page.html", b"<p>hi</p>", content_type="text/html")
    assert head(driver, "page.html")["content-type"] == "text/html"


def test_temp_url_serves_the_object_then_expires(swift_service):
    secret = uuid.uuid4().hex
    driver = make_driver(swift_service, temp_url_key=secret)
    grant_temp_url_key(swift_service, driver, secret)
    key = "shared/rapport annuel é.pdf"
    driver.put(key, b"%PDF-1.7 temp")
    url = driver.url(key, expires=2)
    assert url.startswith(swift_service["storage_url"])
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 temp"
    tampered = url.replace("temp_url_sig=", "temp_url_sig=0")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code in REFUSED
    time.sleep(3)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=10)
    assert expired.value.code in REFUSED
    assert driver.check().message.endswith("; temporary URLs work")


def test_check_reports_a_temp_url_key_swift_does_not_know(swift_service):
    secret = uuid.uuid4().hex
    driver = make_driver(swift_service, temp_url_key=secret)
    grant_temp_url_key(swift_service, driver, secret)
    assert driver.check().ok
    url, token = driver.auth.credentials()  # someone rotates the key behind our back
    if swift_service["server"] == "ceph-rgw":
        swiftclient.post_account(url, token, {"X-Account-Meta-Temp-URL-Key": "theirs"})
    else:
        swiftclient.post_container(
            url, token, driver.container, {"X-Container-Meta-Temp-URL-Key": "theirs"}
        )
    result = driver.check()
    assert not result.ok
    assert re.search(
        r"refused a temporary URL \((401 Unauthorized|403 Forbidden)\)", result.message
    )
    assert secret not in result.message


def test_no_temp_url_without_a_key(driver):
    driver.put("k", b"x")
    assert driver.url("k") is None


def test_usage_counts_segments(driver):
    driver.put("small", b"12345")
    driver.put("large", os.urandom(4 * MIB))
    usage = driver.usage()
    assert usage.object_count == 2
    assert usage.bytes_used >= 4 * MIB + 5  # segments and manifests
    assert usage.quota_bytes is None and usage.bytes_free is None


def test_usage_reports_quotas(saio_service):
    """Quotas as OpenStack Swift sets them (account metadata set by a reseller admin)."""
    driver = make_driver(saio_service)
    driver.put("small", b"12345")
    url, token = driver.auth.credentials()
    # an account quota: only a reseller admin may set it
    __, admin_token = swiftclient.get_auth_1_0(
        saio_service["auth_url"], saio_service["admin_user"], saio_service["admin_key"]
    )

    def set_account_quota(value):
        swiftclient.post_account(url, admin_token, {"X-Account-Meta-Quota-Bytes": value})

    set_account_quota(str(1 << 40))
    try:
        assert driver.usage().quota_bytes == 1 << 40
        swiftclient.post_container(
            url, token, driver.container, {"X-Container-Meta-Quota-Bytes": str(MIB)}
        )
        usage = driver.usage()
        assert usage.quota_bytes == MIB  # the tighter of the two
        assert 0 < usage.bytes_free < MIB
        with pytest.raises(StorageError, match="quota"):
            driver.put("too-big", os.urandom(MIB))
    finally:
        set_account_quota("")


def test_thousand_operations_across_threads_authenticate_once(swift_service):
    driver = make_driver(swift_service)
    before = auth_requests(swift_service)
    driver.put("hot", b"x")
    errors = []

    def worker():
        try:
            for __ in range(250):
                assert driver.exists("hot")
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for __ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert driver.auth.authentications == 1
    assert auth_requests(swift_service) - before == 1


def test_pre_issued_token(swift_service):
    storage_url, token = swiftclient.get_auth_1_0(
        swift_service["auth_url"], swift_service["user"], swift_service["key"]
    )
    driver = make_driver(
        swift_service, auth_url=None, user=None, key=None, token=token, storage_url=storage_url
    )
    driver.put("k", b"with a token")
    assert driver.get("k") == b"with a token"
    assert driver.auth.authentications == 0
    revoked = make_driver(
        swift_service,
        auth_url=None,
        user=None,
        key=None,
        token="AUTH_tkbogus",
        storage_url=storage_url,
    )
    with pytest.raises(ConfigError, match="pre-issued token"):
        revoked.exists("k")
    assert "pre-issued token" in revoked.check().message


def test_wrong_key_is_a_clear_configuration_error(swift_service):
    driver = make_driver(swift_service, key="wrong-" + swift_service["key"])
    user = swift_service["user"]
    with pytest.raises(ConfigError, match=f"refused the credentials of user '{user}'"):
        driver.put("k", b"x")
    result = driver.check()
    assert not result.ok and "check the user and key" in result.message
    assert swift_service["key"] not in result.message


def test_unreachable_auth_url_is_unavailable(swift_service):
    from harness.process import free_port

    driver = make_driver(swift_service, auth_url=f"http://127.0.0.1:{free_port()}/auth/v1.0")
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="authentication service at .* is unreachable"):
        driver.get("k")
    assert time.monotonic() - started >= 0.05 + 0.1 + 0.2  # retried with backoff
    assert "unreachable: [Errno 111] Connection refused" in driver.check().message


def test_unknown_container_without_auto_create(swift_service):
    driver = make_driver(swift_service, auto_create=False)
    result = driver.check()
    assert not result.ok
    assert f"container {driver.container!r} does not exist" in result.message
    assert list(driver.list("")) == []


def test_invalid_container_names():
    for name in ("", "a/b", "x" * 257, "tab\there"):
        with pytest.raises(ConfigError):
            SwiftDriver(name, auth_url="http://127.0.0.1:1/auth/v1.0", user="u", key="k")


def test_secrets_stay_out_of_labels_and_messages(swift_service):
    driver = make_driver(swift_service, key="sekrit-" + uuid.uuid4().hex)
    message = driver.check().message
    for text in (driver.label, repr(driver), message):
        assert "sekrit" not in text


class TestKeystoneV3:
    """Keystone cannot run here: the options, and clear errors from bad URLs."""

    def options(self, **values):
        return {
            "auth_url": "http://127.0.0.1:1/v3",
            "auth_version": "3",
            "user": "odoo",
            "key": "secret",
            "project": "billing",
            "user_domain": "Users",
            "project_domain": "Projects",
            "region": "RegionTwo",
            "interface": "internal",
            **values,
        }

    def test_options_are_validated(self):
        auth = SwiftAuth(**self.options())
        assert (auth.auth_version, auth.project, auth.region) == ("3", "billing", "RegionTwo")
        with pytest.raises(ConfigError, match="needs a project"):
            SwiftAuth(**self.options(project=None))
        with pytest.raises(ConfigError, match="interface"):
            SwiftAuth(**self.options(interface="private"))
        with pytest.raises(ConfigError, match="auth version"):
            SwiftAuth(**self.options(auth_version="2"))
        with pytest.raises(ConfigError, match="http"):
            SwiftAuth(**self.options(auth_url="ftp://keystone/v3"))

    def test_unreachable_keystone(self):
        from harness.process import free_port

        driver = SwiftDriver(
            "c", backoff=0.01, **self.options(auth_url=f"http://127.0.0.1:{free_port()}/v3")
        )
        with pytest.raises(StorageUnavailable, match="Keystone at .* is unreachable"):
            driver.exists("k")

    def test_a_url_that_is_not_keystone(self, swift_service):
        driver = SwiftDriver("c", **self.options(auth_url=swift_service["auth_url"]))
        result = driver.check()
        assert not result.ok and "Keystone v3 URL" in result.message
        assert "secret" not in result.message

    def test_endpoint_is_chosen_by_region_and_interface(self):
        auth = SwiftAuth(**self.options())
        catalog = [
            {"type": "identity", "endpoints": [{"interface": "internal", "url": "http://id"}]},
            {
                "type": "object-store",
                "endpoints": [
                    {"interface": "public", "region_id": "RegionTwo", "url": "http://pub2"},
                    {"interface": "internal", "region_id": "RegionOne", "url": "http://int1"},
                    {"interface": "internal", "region_id": "RegionTwo", "url": "http://int2"},
                ],
            },
        ]
        assert auth._endpoint(catalog) == "http://int2"
        auth.region = "RegionThree"
        with pytest.raises(ConfigError, match="found: public@RegionTwo"):
            auth._endpoint(catalog)


def test_non_seekable_download_reads_in_chunks(driver):
    driver.put("stream", io.BytesIO(b"0123456789" * 100000))
    with driver.open("stream") as stream:
        assert stream.read(10) == b"0123456789"
        assert len(stream.read()) == 999990
