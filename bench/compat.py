"""Which features each object store of the test harness supports, probed for real.

Starts SeaweedFS, a Ceph cluster (its gateway probed through S3 and through
Swift) and an OpenStack Swift SAIO on 127.0.0.1, asks each the same
questions with raw clients (boto3, python-swiftclient, plain HTTP), and writes
the answers as a Markdown table (docs/compatibility.md by default). What the
drivers do about each difference is said beside the table.

    STORAGE_SERVICES_VENV=.venv-services .venv/bin/python bench/compat.py [--output PATH]
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness import ceph, seaweedfs, swift  # noqa: E402  (after the path is set)
from harness.process import install_cleanup, stop_all  # noqa: E402

MIB = 1024 * 1024
FEATURES = [
    ("conditional", "Conditional write (`If-None-Match: *` refused over an existing object)"),
    ("conditional_large", "… also when completing a large object"),
    ("conditional_versioned", "… also in a versioned bucket (as Object Lock makes them)"),
    ("object_lock", "Object lock (WORM retention, legal hold)"),
    ("sse", "Server-side encryption asked per request (`AES256`)"),
    ("signed_url", "Presigned / temporary URLs"),
    ("large", "Large objects (S3 multipart, Swift SLO)"),
    ("large_listing", "… listed with their total size"),
    ("large_copy", "… server-side copy independent of the original"),
    ("range", "Ranged GET (`Range: bytes=…` → 206)"),
]
NOT_APPLICABLE = "n/a"


def http(url, method="GET", headers=None):
    """(status, body) of a plain HTTP request."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# -- S3 ------------------------------------------------------------------------------


def s3_client(settings):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings["endpoint_url"],
        region_name=settings["region"],
        aws_access_key_id=settings["access_key"],
        aws_secret_access_key=settings["secret_key"],
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def code_of(error):
    return error.response.get("Error", {}).get("Code") or str(
        error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    )


def probe_s3(settings):
    from botocore.exceptions import ClientError

    client = s3_client(settings)
    bucket = f"compat-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    found = {}

    client.put_object(Bucket=bucket, Key="once", Body=b"1")
    try:
        client.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
        found["conditional"] = "no (ignored)"
    except ClientError as error:
        found["conditional"] = "yes" if code_of(error) == "PreconditionFailed" else code_of(error)

    upload = client.create_multipart_upload(Bucket=bucket, Key="once")["UploadId"]
    part = client.upload_part(Bucket=bucket, Key="once", UploadId=upload, PartNumber=1, Body=b"3")
    try:
        client.complete_multipart_upload(
            Bucket=bucket,
            Key="once",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
            IfNoneMatch="*",
        )
        found["conditional_large"] = "no (ignored: the object was replaced)"
    except ClientError as error:
        refused = code_of(error) == "PreconditionFailed"
        found["conditional_large"] = "yes" if refused else code_of(error)
        client.abort_multipart_upload(Bucket=bucket, Key="once", UploadId=upload)

    found["object_lock"], found["conditional_versioned"] = probe_object_lock(client)

    try:
        client.put_object(Bucket=bucket, Key="sse", Body=b"x", ServerSideEncryption="AES256")
        head = client.head_object(Bucket=bucket, Key="sse")
        found["sse"] = (
            "yes"
            if head.get("ServerSideEncryption") == "AES256"
            else "no: accepted, stored unencrypted"
        )
    except ClientError as error:
        found["sse"] = f"no: refused ({code_of(error)})"

    client.put_object(Bucket=bucket, Key="signed", Body=b"signed")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "signed"}, ExpiresIn=60
    )
    signature = url.rpartition("X-Amz-Signature=")[2]
    forged = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    valid, refused = http(url), http(forged)[0]
    found["signed_url"] = (
        "yes (SigV4)"
        if valid == (200, b"signed") and refused == 403
        else f"no (valid: {valid[0]}, forged: {refused})"
    )

    data = os.urandom(6 * MIB)
    upload = client.create_multipart_upload(Bucket=bucket, Key="large")["UploadId"]
    parts = []
    for number, start in enumerate((0, 5 * MIB), 1):
        body = data[start : start + 5 * MIB]
        etag = client.upload_part(
            Bucket=bucket, Key="large", UploadId=upload, PartNumber=number, Body=body
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    client.complete_multipart_upload(
        Bucket=bucket, Key="large", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    stored = client.get_object(Bucket=bucket, Key="large")["Body"].read()
    found["large"] = "yes" if stored == data else "no (read back differs)"
    sizes = {
        item["Key"]: item["Size"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]
    }
    found["large_listing"] = "yes" if sizes["large"] == len(data) else f"no ({sizes['large']})"
    client.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "large"})
    client.delete_object(Bucket=bucket, Key="large")
    copied = client.get_object(Bucket=bucket, Key="copy")["Body"].read()
    found["large_copy"] = "yes" if copied == data else "no"

    found["range"] = probe_s3_range(client, bucket)
    return found


def probe_object_lock(client):
    from botocore.exceptions import ClientError

    bucket = f"compat-lock-{uuid.uuid4().hex[:8]}"
    try:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
        try:
            client.put_object(Bucket=bucket, Key="k", Body=b"y", IfNoneMatch="*")
            conditional = "no (ignored)"
        except ClientError as error:
            refused = code_of(error) == "PreconditionFailed"
            conditional = "yes" if refused else code_of(error)
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
        client.put_object_retention(
            Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
        )
        client.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})
        version = client.head_object(Bucket=bucket, Key="k")["VersionId"]
    except ClientError as error:
        return f"no ({code_of(error)})", NOT_APPLICABLE
    try:
        client.delete_object(Bucket=bucket, Key="k", VersionId=version)
        return "no: a locked version was deleted", conditional
    except ClientError as error:
        locked = code_of(error) == "AccessDenied"
        return ("yes" if locked else f"no ({code_of(error)})"), conditional


def probe_s3_range(client, bucket):
    client.put_object(Bucket=bucket, Key="range", Body=b"0123456789")
    response = client.get_object(Bucket=bucket, Key="range", Range="bytes=2-5")
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    body = response["Body"].read()
    return "yes" if (status, body) == (206, b"2345") else f"no ({status}, {body!r})"


# -- Swift ---------------------------------------------------------------------------


def probe_swift(settings):
    from swiftclient import client as sc
    from swiftclient.exceptions import ClientException
    from swiftclient.utils import generate_temp_url

    url, token = sc.get_auth_1_0(settings["auth_url"], settings["user"], settings["key"])
    container = f"compat-{uuid.uuid4().hex[:10]}"
    segments = f"{container}_segments"
    sc.put_container(url, token, container)
    sc.put_container(url, token, segments)
    found = dict.fromkeys(("object_lock", "sse", "conditional_versioned"), NOT_APPLICABLE)

    sc.put_object(url, token, container, "once", b"1")
    try:
        sc.put_object(url, token, container, "once", b"2", headers={"If-None-Match": "*"})
        found["conditional"] = "no (ignored)"
    except ClientException as error:
        found["conditional"] = "yes" if error.http_status == 412 else str(error.http_status)

    data = os.urandom(3 * MIB)
    manifest = []
    for index, start in enumerate(range(0, len(data), 2 * MIB)):
        chunk = data[start : start + 2 * MIB]
        etag = sc.put_object(url, token, segments, f"large/{index:08d}", chunk)
        manifest.append(
            {"path": f"/{segments}/large/{index:08d}", "etag": etag, "size_bytes": len(chunk)}
        )
    body = json.dumps(manifest).encode()
    sc.put_object(url, token, container, "large", body, query_string="multipart-manifest=put")
    found["large"] = (
        "yes (SLO)" if sc.get_object(url, token, container, "large")[1] == data else "no"
    )
    try:
        sc.put_object(
            url,
            token,
            container,
            "large",
            body,
            query_string="multipart-manifest=put",
            headers={"If-None-Match": "*"},
        )
        found["conditional_large"] = "no (ignored)"
    except ClientException as error:
        found["conditional_large"] = "yes" if error.http_status == 412 else str(error.http_status)
    listing = {item["name"]: item["bytes"] for item in sc.get_container(url, token, container)[1]}
    found["large_listing"] = (
        "yes" if listing["large"] == len(data) else f"no (the manifest's {listing['large']} bytes)"
    )
    __, raw = sc.get_object(
        url, token, container, "large", query_string="multipart-manifest=get&format=raw"
    )
    if not raw:
        found["large_listing"] += "; manifest not readable"
    sc.put_object(
        url, token, container, "copy", None, headers={"X-Copy-From": f"/{container}/large"}
    )
    copied = sc.head_object(url, token, container, "copy")
    sc.delete_object(url, token, container, "large", query_string="multipart-manifest=delete")
    try:
        intact = sc.get_object(url, token, container, "copy")[1] == data
    except ClientException:
        intact = False
    shares = copied.get("x-static-large-object", "").lower() == "true"
    found["large_copy"] = (
        "yes (a plain copy)"
        if intact and not shares
        else "no: the copy shares the original's segments"
    )

    found["signed_url"] = probe_temp_url(sc, url, token, container, generate_temp_url)
    sc.put_object(url, token, container, "range", b"0123456789")
    status, body = http(
        f"{url}/{container}/range", headers={"X-Auth-Token": token, "Range": "bytes=2-5"}
    )
    found["range"] = "yes" if (status, body) == (206, b"2345") else f"no ({status}, {body!r})"
    return found


def probe_temp_url(sc, url, token, container, generate_temp_url):
    """Which key (container, account) and digest a temporary URL may use."""
    from urllib.parse import urlsplit

    sc.put_object(url, token, container, "temp", b"temp")
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    path = f"{parts.path}/{container}/temp"
    accepted = []
    for scope in ("container", "account"):
        key = uuid.uuid4().hex
        if scope == "container":
            sc.post_container(url, token, container, {"X-Container-Meta-Temp-URL-Key": key})
        else:
            sc.post_account(url, token, {"X-Account-Meta-Temp-URL-Key": key})
        for digest in ("sha256", "sha1"):
            signed = generate_temp_url(path, 60, key, "GET", digest=digest)
            if http(base + signed) == (200, b"temp"):
                accepted.append(f"{scope} key, {digest.upper().replace('SHA', 'SHA-')}")
    sc.post_account(url, token, {"X-Account-Meta-Temp-URL-Key": ""})
    return f"yes ({'; '.join(accepted)})" if accepted else "no"


# -- the table -----------------------------------------------------------------------


def version_of(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split(
            "\n"
        )[0]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_probes():
    install_cleanup()
    columns = {}
    try:
        weed = seaweedfs.SeaweedFS().start()
        columns["SeaweedFS (S3)"] = probe_s3(weed.settings())
        weed.stop()
        saio = swift.SwiftServer().start()
        columns["OpenStack Swift SAIO"] = probe_swift(saio.env())
        saio.stop()
        if ceph.missing_commands():
            print(f"Ceph skipped: {ceph.skip_reason()}", file=sys.stderr)
        else:
            cluster = ceph.CephServer().start()
            columns["Ceph RGW (S3)"] = probe_s3(cluster.s3_settings())
            columns["Ceph RGW (Swift)"] = probe_swift(cluster.swift_settings())
            cluster.stop()
    finally:
        stop_all()
    order = ["SeaweedFS (S3)", "Ceph RGW (S3)", "Ceph RGW (Swift)", "OpenStack Swift SAIO"]
    return {name: columns[name] for name in order if name in columns}


def versions():
    services = os.environ.get("STORAGE_SERVICES_VENV") or os.path.join(ROOT, ".venv-services")
    weed = version_of([os.path.join(services, "bin", "weed"), "version"])
    swift_version = version_of(
        [os.path.join(services, "bin", "python"), "-c", "import swift; print(swift.__version__)"]
    )
    return {
        "SeaweedFS": weed.strip(),
        "Ceph": version_of(["ceph", "--version"]).strip(),
        "OpenStack Swift": swift_version.strip(),
    }


def markdown(columns, server_versions):
    names = list(columns)
    lines = [
        "# Compatibility of the object stores",
        "",
        "Written by `bench/compat.py`, which starts each server of the test harness on",
        "127.0.0.1 and probes it with raw clients; do not edit by hand. Probed on",
        f"{datetime.date.today().isoformat()} ({platform.machine()}):",
        "",
        *(f"- {name}: {version}" for name, version in server_versions.items()),
        "",
        "| Feature | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key, label in FEATURES:
        lines.append(f"| {label} | " + " | ".join(columns[name][key] for name in names) + " |")
    lines += [
        "",
        "The harness runs Ceph with `rgw crypt require ssl = false` (everything is on",
        "127.0.0.1); with the default, the gateway refuses encryption headers over plain HTTP.",
        "Ceph RGW also ignores `If-None-Match` on a versioned bucket's `PutObject`: the",
        "drivers' probe is per bucket, so write-once there is a checked write.",
        "",
        "## What the drivers do about the differences",
        "",
        "- **Conditional writes** are probed once per driver (S3 `PutObject` and, separately,",
        "  multipart completion; Swift `PUT`). Where the server ignores the header, write-once",
        "  is a HEAD before the upload and another just before the object becomes visible",
        "  (completion or manifest): not atomic, logged once.",
        "- **Object lock**: immutable backups (`storage_backup`) need an S3 bucket created with",
        "  Object Lock; a policy asking for it is refused at save otherwise.",
        "- **Server-side encryption** is verified on a probe before the first write; a server",
        "  that accepts the header without encrypting is refused (`ConfigError`), so nothing",
        "  is ever stored in the clear by mistake. `storage_keymanager` encrypts in Odoo instead.",
        "- **Temporary URLs** (Swift) are signed with the strongest digest the server's `/info`",
        "  lists (SHA-1 where it lists none); a key already on the account is used as it is,",
        "  else the driver sets it on the container.",
        "- **Large objects** (Swift): the driver names the segments of each manifest it writes,",
        "  so it never needs to read a manifest back; listings whose size is the manifest's are",
        "  completed by a HEAD; copies of large objects that would share segments are streamed.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "compatibility.md"))
    args = parser.parse_args(argv)
    columns = run_probes()
    text = markdown(columns, versions())
    with open(args.output, "w") as handle:
        handle.write(text)
    print(text)
    print(f"written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
