"""Installing the suite on a database whose files another addon stored, for real.

The database first has only ``base``, with what camptocamp's attachment_s3
and Catalyst's odoo_openstack_storage leave behind (their rows, parameters,
environment variables and objects: neither exists for Odoo 17). Installing
the suite must make every file readable where it is, copying nothing; then
``odoo-bin object-store adopt`` moves them to the suite's layout and they
still read back once camptocamp's variables are gone.
"""

import hashlib
import json
import uuid

import pytest

from .conftest import result_of

DATABASE = "adopt_db"

SOURCE_ROWS = """
import json
payloads = json.loads({payloads!r})
env["ir.config_parameter"].set_param("ir_attachment.location", "db")
records = env["ir.attachment"].create(
    [{{"name": f"a{{i}}.pdf", "raw": bytes.fromhex(data), "mimetype": "application/pdf"}}
     for i, data in enumerate(payloads)]
)
for record, name in zip(records, json.loads({names!r})):
    env.cr.execute(
        "UPDATE ir_attachment SET store_fname = %s, db_datas = NULL WHERE id = %s",
        [name, record.id],
    )
env["ir.config_parameter"].set_param("ir_attachment.location", "s3")
env["ir.config_parameter"].set_param("ir_attachment.location.openstack", {catalyst!r})
env.cr.commit()
"""

STATE = """
import hashlib, json
records = env["ir.attachment"].search([("name", "=like", "a%.pdf")], order="id")
print("RESULT", json.dumps([
    [r.store_fname, hashlib.sha1(r.raw).hexdigest() == r.checksum and r.file_size > 0]
    for r in records
]))
"""


@pytest.fixture
def s3_client():
    import boto3

    from harness.seaweedfs import shared_settings

    settings = shared_settings()
    client = boto3.client(
        "s3",
        endpoint_url=settings["endpoint_url"],
        region_name=settings["region"],
        aws_access_key_id=settings["access_key"],
        aws_secret_access_key=settings["secret_key"],
    )
    return client, settings


def listing(client, bucket):
    result = client.list_objects_v2(Bucket=bucket)
    return {item["Key"]: item["ETag"] for item in result.get("Contents", [])}


def test_install_reads_in_place_and_adopt_moves(odoo_instance, s3_client, saio_service):
    from swiftclient.client import Connection

    odoo = odoo_instance
    client, s3 = s3_client
    bucket = f"c2c-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    prefix = f"cat{uuid.uuid4().hex[:6]}"
    container = f"{prefix}-{DATABASE}"
    swift = Connection(saio_service["auth_url"], saio_service["user"], saio_service["key"])
    swift.put_container(container)

    payloads = [hashlib.sha256(str(i).encode()).digest() * (100 + 40 * i) for i in range(6)]
    sha1 = [hashlib.sha1(data).hexdigest() for data in payloads]
    names = []
    for index, data in enumerate(payloads):
        if index < 4:  # camptocamp: s3://<bucket>/<sha1>
            client.put_object(Bucket=bucket, Key=sha1[index], Body=data)
            names.append(f"s3://{bucket}/{sha1[index]}")
        else:  # Catalyst: bare sha1 in <prefix>-<database>
            swift.put_object(container, sha1[index], data)
            names.append(sha1[index])
    catalyst = {
        "user": saio_service["user"],
        "key": saio_service["key"],
        "authurl": saio_service["auth_url"],
        "tenant_name": "test",
        "region_name": "RegionOne",
        "container_prefix": prefix,
    }
    camptocamp = {
        "AWS_HOST": s3["endpoint_url"],
        "AWS_REGION": s3["region"],
        "AWS_ACCESS_KEY_ID": s3["access_key"],
        "AWS_SECRET_ACCESS_KEY": s3["secret_key"],
        "AWS_BUCKETNAME": bucket,
    }

    base = ("-c", odoo.config, "-d", DATABASE, "--stop-after-init")
    odoo.run(*base, "-i", "base", "--without-demo=all")
    odoo.shell(
        DATABASE,
        SOURCE_ROWS.format(
            payloads=json.dumps([data.hex() for data in payloads]),
            names=json.dumps(names),
            catalyst=json.dumps(catalyst),
        ),
    )
    before = (listing(client, bucket), swift.get_container(container)[1])

    install = odoo.run(
        *base,
        "-i",
        "ir_attachment_object_store,storage_backend_s3,storage_backend_swift",
        env=camptocamp,
    )
    assert "camptocamp attachment_s3: 4 files are read where they are" in install
    assert "Catalyst odoo_openstack_storage" in install
    state = result_of(odoo.shell(DATABASE, STATE, env=camptocamp))
    assert [name for name, __ in state] == names
    assert all(ok for __, ok in state)  # byte for byte (sha1 and size)
    assert (listing(client, bucket), swift.get_container(container)[1]) == before  # no copy

    output = odoo.run("object-store", "adopt", *base[:4], env=camptocamp)
    assert "moved: 6/6 files" in output, output
    state = result_of(odoo.shell(DATABASE, STATE, env=camptocamp))
    assert [name.split("://")[0] for name, __ in state] == ["s3_suite"] * 4 + ["openstack"] * 2
    assert all(ok for __, ok in state)
    assert set(before[0]) <= set(listing(client, bucket))  # camptocamp's objects stay

    # camptocamp's variables gone, the keys now this suite's server settings
    ours = {
        "STORAGE_BACKEND_S3_SUITE_AWS_ACCESS_KEY_ID": s3["access_key"],
        "STORAGE_BACKEND_S3_SUITE_AWS_SECRET_ACCESS_KEY": s3["secret_key"],
    }
    state = result_of(odoo.shell(DATABASE, STATE, env=ours))
    assert all(ok for __, ok in state)
    assert "moved: 0/0 files" in odoo.run("object-store", "adopt", *base[:4], env=ours)
