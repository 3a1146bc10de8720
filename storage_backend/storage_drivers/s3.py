"""Amazon S3 and every S3-compatible server, on boto3.

One boto3 client per driver, created on first use and shared by all threads
(boto3 clients are thread-safe, sessions are not). Uploads above
``multipart_threshold`` go up in parts of ``part_size`` bytes, at most
``max_concurrency`` parts in flight, so memory stays bounded whatever the
object size; an upload that fails is aborted and never shows a partial object.
botocore retries throttling, server and connection errors per request with
backoff; what still fails becomes :class:`StorageUnavailable` with a reason a
person can read.
"""

import contextlib
import itertools
import logging
import math
import mimetypes
import re
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .base import CHECK_PREFIX, ObjectStat, StorageDriver
from .errors import (
    ConfigError,
    InvalidKey,
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)
from .keys import validate_key, validate_prefix
from .streams import GuardedReader

_logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's minimum for every part but the last
MAX_PARTS = 10000
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit
ACLS = (
    "private",
    "public-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
)
ENCRYPTIONS = ("AES256", "aws:kms")
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
NO_OBJECT_LOCK = {
    "ObjectLockConfigurationNotFoundError",
    "InvalidBucketState",
    "NotImplemented",
    "MethodNotAllowed",
}
ADDRESSING_STYLES = ("auto", "path", "virtual")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
ACCESS_DENIED = {
    "403",
    "AccessDenied",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "TokenRefreshRequired",
}
PRECONDITION_FAILED = {"412", "PreconditionFailed"}
OVERLOADED = {"503", "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"}


@dataclass(frozen=True)
class ObjectLock:
    """The S3 Object Lock state of an object's current version."""

    mode: str | None = None  # GOVERNANCE or COMPLIANCE
    retain_until: datetime | None = None  # aware
    legal_hold: bool = False

    def protects(self, now=None):
        """Whether the object cannot be deleted now (retention not over, or a legal hold)."""
        now = now or datetime.now(timezone.utc)
        return self.legal_hold or bool(self.retain_until and self.retain_until > now)


def bucket_safe(name):
    """``name`` made usable inside a bucket name (lowercase, digits, ``-``)."""
    return re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")


def expand_db(template, db, *, bucket=False):
    """Replace ``{db}`` in a bucket or prefix template by the database name."""
    if "{db}" not in (template or ""):
        return template
    if not db:
        raise ConfigError(f"{template!r} uses {{db}} but no database name was given")
    return template.replace("{db}", bucket_safe(db) if bucket else db)


class S3Driver(StorageDriver):
    """Objects in one bucket, optionally under a key prefix.

    ``bucket`` and ``prefix`` may contain ``{db}``, replaced by ``db`` (one
    bucket or prefix per database or tenant). ``conditional_writes`` says
    whether the server honours ``If-None-Match: *``; ``None`` asks it once
    (and, separately, whether it does when completing multipart uploads).
    ``retries`` is per request, with botocore's jittered exponential backoff
    (the base class's ``backoff`` is not used).
    """

    def __init__(
        self,
        bucket,
        *,
        prefix="",
        db=None,
        endpoint_url=None,
        region=None,
        addressing_style="auto",
        access_key=None,
        secret_key=None,
        session_token=None,
        create_bucket=False,
        object_lock=False,
        acl="private",
        server_side_encryption=None,
        kms_key_id=None,
        cache_control=None,
        multipart_threshold=8 * MIB,
        part_size=8 * MIB,
        max_concurrency=4,
        multipart_copy_threshold=5 * 1024 * MIB,
        page_size=1000,
        conditional_writes=None,
        connect_timeout=5,
        read_timeout=60,
        retries=3,
        verify=True,
        **kwargs,
    ):
        # botocore retries each request (one part, not the whole upload)
        super().__init__(retries=0, **kwargs)
        self.bucket = expand_db(bucket or "", db, bucket=True)
        if not BUCKET_NAME.match(self.bucket) or ".." in self.bucket:
            raise ConfigError(
                f"invalid bucket name {self.bucket!r}: use 3 to 63 lowercase letters, "
                "digits, dots or hyphens"
            )
        prefix = expand_db((prefix or "").strip("/"), db)
        try:
            self.prefix = validate_prefix(prefix + "/") if prefix else ""
        except InvalidKey as error:
            raise ConfigError(f"invalid key prefix: {error}") from error
        self.endpoint_url = _check_endpoint(endpoint_url)
        self.region = region or "us-east-1"
        if addressing_style not in ADDRESSING_STYLES:
            raise ConfigError(f"addressing style must be one of {', '.join(ADDRESSING_STYLES)}")
        self.addressing_style = addressing_style
        if bool(access_key) != bool(secret_key):
            raise ConfigError("set both the access key and the secret key, or neither")
        self._credentials = (access_key or None, secret_key or None, session_token or None)
        self.create_bucket = create_bucket
        self.object_lock = object_lock
        if (acl or "private") not in ACLS:
            raise ConfigError(f"unknown ACL {acl!r}: use one of {', '.join(ACLS)}")
        self.acl = acl or "private"
        if server_side_encryption not in (None, "", *ENCRYPTIONS):
            raise ConfigError(f"server-side encryption must be one of {', '.join(ENCRYPTIONS)}")
        self.server_side_encryption = server_side_encryption or None
        self.kms_key_id = kms_key_id or None
        self.cache_control = cache_control or None
        if part_size < MIN_PART_SIZE or multipart_threshold < MIN_PART_SIZE:
            raise ConfigError("S3 parts and the multipart threshold must be at least 5 MiB")
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.max_concurrency = max(1, max_concurrency)
        self.multipart_copy_threshold = multipart_copy_threshold
        self.page_size = page_size
        self.conditional_writes = conditional_writes
        self.conditional_completes = False if conditional_writes is False else None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.request_retries = retries
        self.verify = verify
        self.where = self.endpoint_url or f"AWS {self.region}"
        self.label = f"S3 bucket {self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.label += f" at {self.where}"
        self._client = None
        self._bucket_ready = not create_bucket
        self._encryption_verified = False
        # re-entrant: the conditional-write probe creates the client under it
        self._lock = threading.RLock()

    # -- client --------------------------------------------------------------------

    @property
    def client(self):
        """The boto3 client, created once (and the bucket, when asked)."""
        if self._client is None or not self._bucket_ready:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
                if not self._bucket_ready:
                    self._ensure_bucket(self._client)
                    self._bucket_ready = True
        return self._client

    def _make_client(self):
        import boto3
        from botocore.config import Config

        access_key, secret_key, session_token = self._credentials
        session = boto3.session.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            region_name=self.region,
        )
        style = self.addressing_style
        if style == "auto" and not self.endpoint_url:
            style = "virtual"  # AWS's own advice; "auto" presigns on the global endpoint
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": style},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "total_max_attempts": 1 + self.request_retries},
            max_pool_connections=max(10, self.max_concurrency * 2),
            # checksums only where S3 requires them: many S3-compatible
            # servers reject the newer default trailers
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return session.client(
            "s3", endpoint_url=self.endpoint_url, config=config, verify=self.verify
        )

    def _ensure_bucket(self, client):
        try:
            client.head_bucket(Bucket=self.bucket)
            return
        except Exception as error:  # 404 means "create it"; anything else is raised
            if _error_code(error) not in NOT_FOUND:
                raise
        options = {}
        if self.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        if self.object_lock:  # only possible at creation (it turns versioning on)
            options["ObjectLockEnabledForBucket"] = True
        try:
            client.create_bucket(Bucket=self.bucket, **options)
            _logger.info("%s: created the bucket", self.label)
        except Exception as error:
            if _error_code(error) != "BucketAlreadyOwnedByYou":  # created meanwhile
                raise

    def close(self):
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
                self._client = None
                self._bucket_ready = not self.create_bucket

    def _call(self, operation, key=None, **params):
        """Run one client operation on the bucket, translating its errors."""
        with self._translate(key):
            return getattr(self.client, operation)(Bucket=self.bucket, **params)

    # -- hooks -----------------------------------------------------------------------

    def _put(self, key, stream, *, content_type, overwrite):
        conditional = not overwrite and self._supports_conditional_writes()
        if not overwrite and not conditional:
            self._check_overwrite(key, overwrite)  # best effort: not atomic
        params = self._object_params(key, content_type)
        # one byte past the threshold tells whether the object is above it
        first = _read_block(stream, self.multipart_threshold + 1)
        if len(first) <= self.multipart_threshold:
            if conditional:
                params["IfNoneMatch"] = "*"
            self._call("put_object", key, Key=self.prefix + key, Body=first, **params)
            return
        if conditional:
            # refuse before sending gigabytes; the final write is conditional too
            self._check_overwrite(key, overwrite)
        part_size = self._part_size_for(stream, len(first))
        parts = _parts(first, stream, part_size)
        del first  # held by the parts generator only, until it is sent
        self._multipart(key, params, "upload_part", parts, write_once=not overwrite)

    def _multipart(self, key, params, operation, parts, *, write_once=False):
        """A multipart upload (or copy) of ``parts``; aborted on any failure.

        ``parts`` yields the arguments of each ``operation`` call, lazily:
        at most ``max_concurrency`` parts are in flight, and in memory.
        ``write_once``: the completion is conditional where the server
        honours it there, else preceded by one more existence check (a
        writer that came during the upload is seen; the window left is the
        time of one request).
        """
        conditional = write_once and self._supports_conditional_completes()
        full_key = self.prefix + key
        upload = self._call("create_multipart_upload", key, Key=full_key, **params)["UploadId"]

        def send(number, part):
            result = self._call(
                operation, key, Key=full_key, UploadId=upload, PartNumber=number, **part
            )
            etag = result.get("CopyPartResult", result)["ETag"]
            return {"PartNumber": number, "ETag": etag}

        try:
            done = self._in_parallel(send, parts, key)
            if write_once and not conditional:
                self._check_overwrite(key, False)
            self._call(
                "complete_multipart_upload",
                key,
                Key=full_key,
                UploadId=upload,
                MultipartUpload={"Parts": sorted(done, key=lambda part: part["PartNumber"])},
                **({"IfNoneMatch": "*"} if conditional else {}),
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=full_key, UploadId=upload
                )
            raise

    def _in_parallel(self, send, parts, key):
        """``send(number, part)`` for each part, ``max_concurrency`` at a time.

        The next part is taken from ``parts`` (read from the source) only
        once a slot is free, so at most ``max_concurrency`` parts, in flight
        or being read, are in memory.
        """
        results, pending = [], set()
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="s3-part") as pool:
            try:
                for number in itertools.count(1):
                    while len(pending) >= self.max_concurrency:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        results.extend(future.result() for future in done)
                    part = next(parts, None)
                    if part is None:
                        break
                    if number > MAX_PARTS:
                        raise StorageError(
                            f"{key!r} needs more than {MAX_PARTS} parts; raise the part size"
                        )
                    pending.add(pool.submit(send, number, part))
                    del part
                results.extend(future.result() for future in pending)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return results

    def _part_size_for(self, stream, already_read):
        """The part size, grown when a known object size needs over 10,000 parts."""
        try:
            position = stream.tell()
            remaining = stream.seek(0, 2) - position
            stream.seek(position)
        except (AttributeError, OSError, ValueError):
            return self.part_size
        return max(self.part_size, math.ceil((already_read + remaining) / (MAX_PARTS - 1)))

    def _object_params(self, key, content_type):
        params = {"ContentType": content_type or _guess_type(key)}
        if self.cache_control:
            params["CacheControl"] = self.cache_control
        params.update(self._write_params())
        return params

    def _write_params(self):
        """What every new object gets, written or copied."""
        params = {}
        if self.acl != "private":  # private is S3's default; buckets without ACLs accept no header
            params["ACL"] = self.acl
        if self.server_side_encryption:
            params.update(self._encryption_params())
            self._verify_encryption()
        return params

    def _encryption_params(self):
        params = {"ServerSideEncryption": self.server_side_encryption}
        if self.server_side_encryption == "aws:kms" and self.kms_key_id:
            params["SSEKMSKeyId"] = self.kms_key_id
        return params

    def _verify_encryption(self):
        """Refuse to write unless the server applies the server-side encryption asked for.

        Some servers accept the header and store the object in the clear
        (Ceph RGW without a key management service): checked once per
        driver on a probe, before any real data is sent.
        """
        if self._encryption_verified:
            return
        with self._lock:
            if self._encryption_verified:
                return
            wanted = self.server_side_encryption
            key = f"{CHECK_PREFIX}encryption-{uuid.uuid4().hex}"
            try:
                self._call(
                    "put_object", key, Key=self.prefix + key, Body=b"1", **self._encryption_params()
                )
            except StorageUnavailable:
                raise
            except StorageError as error:
                raise ConfigError(
                    f"{self.where} refused server-side encryption {wanted!r} ({error})"
                ) from error
            try:
                applied = self._call("head_object", key, Key=self.prefix + key).get(
                    "ServerSideEncryption"
                )
            finally:
                self._call("delete_object", key, Key=self.prefix + key)
            if applied != wanted:
                raise ConfigError(
                    f"{self.where} accepted server-side encryption {wanted!r} but did not "
                    "apply it (objects would be stored unencrypted): turn server-side "
                    "encryption off, or encrypt before storing (storage_keymanager)"
                )
            self._encryption_verified = True

    def _open(self, key):
        body = self._call("get_object", key, Key=self.prefix + key)["Body"]
        return GuardedReader(body, lambda: self._translate(key))

    def _delete(self, key):
        self._call("delete_object", key, Key=self.prefix + key)

    def _stat(self, key):
        head = self._call("head_object", key, Key=self.prefix + key)
        return ObjectStat(
            key=key,
            size=head["ContentLength"],
            modified=head.get("LastModified"),
            etag=(head.get("ETag") or "").strip('"') or None,
        )

    def _scan(self, prefix):
        cut = len(self.prefix)
        with self._translate(prefix or None):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket,
                Prefix=self.prefix + prefix,
                PaginationConfig={"PageSize": self.page_size},
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    yield ObjectStat(
                        key=item["Key"][cut:],
                        size=item["Size"],
                        modified=item.get("LastModified"),
                        etag=(item.get("ETag") or "").strip('"') or None,
                    )

    def _copy(self, src_key, dst_key):
        self._copy_from(self, src_key, dst_key)

    def _copy_to(self, target, key, target_key):
        """Server-side into another bucket or prefix reachable with the same credentials."""
        if not (isinstance(target, S3Driver) and target._account == self._account):
            return False
        target._copy_from(self, key, target_key)
        return True

    @property
    def _account(self):
        return (self.endpoint_url, self._credentials)

    def _copy_from(self, source, src_key, dst_key):
        """Copy ``src_key`` of ``source`` (same account) here, without moving bytes."""
        copy_source = {"Bucket": source.bucket, "Key": source.prefix + src_key}
        head = source._call("head_object", src_key, Key=source.prefix + src_key)
        size = head["ContentLength"]
        if size <= self.multipart_copy_threshold:
            self._call(
                "copy_object",
                src_key,
                Key=self.prefix + dst_key,
                CopySource=copy_source,
                **self._write_params(),
            )
            return
        params = {"ContentType": head.get("ContentType") or _guess_type(dst_key)}
        if self.cache_control or head.get("CacheControl"):
            params["CacheControl"] = self.cache_control or head["CacheControl"]
        params.update(self._write_params())
        part_size = max(self.part_size, math.ceil(size / MAX_PARTS))
        parts = (
            {
                "CopySource": copy_source,
                "CopySourceRange": f"bytes={start}-{min(start + part_size, size) - 1}",
            }
            for start in range(0, size, part_size)
        )
        self._multipart(dst_key, params, "upload_part_copy", parts)

    def _url(self, key, expires):
        expires = min(max(expires, 1), MAX_PRESIGN_SECONDS)
        with self._translate(key):
            url = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self.prefix + key},
                ExpiresIn=expires,
            )
        # a public object needs no signature: the same URL without its query
        return url.partition("?")[0] if self.acl == "public-read" else url

    # -- object lock (WORM) ----------------------------------------------------------------

    def check_object_lock(self):
        """Raise :class:`ConfigError` unless the bucket has S3 Object Lock enabled."""
        with self._translate():
            try:
                config = self.client.get_object_lock_configuration(Bucket=self.bucket)
            except Exception as error:
                if _error_code(error) not in NO_OBJECT_LOCK:
                    raise
                config = {}
        if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise ConfigError(
                f"bucket {self.bucket!r} at {self.where} has no S3 Object Lock: it can only "
                "be enabled when a bucket is created (create one with Object Lock, or let "
                "the backend create it with Object Lock on)"
            )

    def lock(self, key, mode, retain_until):
        """Protect the current version of ``key`` from deletion and replacement until
        ``retain_until`` (aware datetime). COMPLIANCE binds everyone, the bucket's
        owner included; GOVERNANCE can be lifted by whoever may bypass it."""
        validate_key(key)
        if mode not in LOCK_MODES:
            raise ConfigError(f"object lock mode must be one of {', '.join(LOCK_MODES)}")
        self._call(
            "put_object_retention",
            key,
            Key=self.prefix + key,
            Retention={"Mode": mode, "RetainUntilDate": retain_until},
        )

    def set_legal_hold(self, key, on):
        """Put (or lift) a legal hold on ``key``: no deletion until lifted, whatever its date."""
        validate_key(key)
        self._call(
            "put_object_legal_hold",
            key,
            Key=self.prefix + key,
            LegalHold={"Status": "ON" if on else "OFF"},
        )

    def lock_state(self, key):
        """:class:`ObjectLock` of ``key``'s current version (one HEAD)."""
        validate_key(key)
        head = self._call("head_object", key, Key=self.prefix + key)
        return ObjectLock(
            mode=head.get("ObjectLockMode"),
            retain_until=head.get("ObjectLockRetainUntilDate"),
            legal_hold=head.get("ObjectLockLegalHoldStatus") == "ON",
        )

    # -- write-once --------------------------------------------------------------------

    def _supports_conditional_writes(self):
        if self.conditional_writes is None:
            with self._lock:
                if self.conditional_writes is None:
                    self.conditional_writes = self._probe_conditional_writes()
        return self.conditional_writes

    def _probe_conditional_writes(self):
        """Whether the server refuses ``If-None-Match: *`` over an existing object.

        A server that ignores the header would silently replace objects, so
        it is tested on a probe once per driver rather than trusted.
        """
        key = f"{CHECK_PREFIX}conditional-{uuid.uuid4().hex}"
        self._call("put_object", key, Key=self.prefix + key, Body=b"1")
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=b"2", IfNoneMatch="*"
            )
            supported = False
        except Exception as error:
            code = _error_code(error)
            if code is None:
                with self._translate(key):
                    raise
            supported = code in PRECONDITION_FAILED
        finally:
            self._call("delete_object", key, Key=self.prefix + key)
        _logger.info(
            "%s: %s",
            self.label,
            "conditional writes supported"
            if supported
            else "no conditional writes: write-once uses a checked write",
        )
        return supported

    def _supports_conditional_completes(self):
        """Whether ``If-None-Match: *`` is honoured when completing a multipart upload.

        Some servers honour it on ``PutObject`` only (Ceph RGW): learned once
        per driver, only when a large write-once upload needs it.
        """
        if self.conditional_completes is None:
            with self._lock:
                if self.conditional_completes is None:
                    self.conditional_completes = (
                        self._supports_conditional_writes() and self._probe_conditional_completes()
                    )
        return self.conditional_completes

    def _probe_conditional_completes(self):
        """Complete a one-part upload over an existing probe: a 412 means supported."""
        key = f"{CHECK_PREFIX}conditional-{uuid.uuid4().hex}"
        full_key = self.prefix + key
        self._call("put_object", key, Key=full_key, Body=b"1")
        upload = self._call("create_multipart_upload", key, Key=full_key)["UploadId"]
        try:
            part = self._call(
                "upload_part", key, Key=full_key, UploadId=upload, PartNumber=1, Body=b"2"
            )
            try:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=full_key,
                    UploadId=upload,
                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
                    IfNoneMatch="*",
                )
                supported = False
            except Exception as error:
                code = _error_code(error)
                if code is None:
                    with self._translate(key):
                        raise
                supported = code in PRECONDITION_FAILED
        finally:
            with contextlib.suppress(Exception):  # nothing to abort once completed
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=full_key, UploadId=upload
                )
            self._call("delete_object", key, Key=full_key)
        if not supported:
            _logger.info(
                "%s: multipart completions are not conditional: a large write-once "
                "upload checks for the object again just before completing",
                self.label,
            )
        return supported

    # -- errors ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self, key=None):
        """Turn botocore and connection errors into storage errors."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
        from urllib3.exceptions import HTTPError as Urllib3Error

        try:
            yield
        except StorageError:
            raise
        except ClientError as error:
            raise self._client_error(error, key) from error
        except NoCredentialsError as error:
            raise StorageUnavailable(
                f"no credentials for {self.where}: set the access key and the secret key"
            ) from error
        except (BotoCoreError, Urllib3Error, OSError) as error:
            raise StorageUnavailable(
                f"{self.where} is unreachable: {self._redact(str(error))}"
            ) from error

    def _client_error(self, error, key):
        code = _error_code(error)
        message = self._redact(error.response.get("Error", {}).get("Message") or code)
        if code == "NoSuchBucket" or (code in NOT_FOUND and key is None):
            return StorageUnavailable(f"bucket {self.bucket!r} does not exist at {self.where}")
        if code in NOT_FOUND:
            return ObjectNotFound(f"{key!r} does not exist in {self.label}")
        if code in PRECONDITION_FAILED:
            return ObjectExists(f"{key!r} already exists in {self.label}")
        if code in ACCESS_DENIED:
            return StorageUnavailable(
                f"access denied by {self.where} ({code}): check the access key, "
                f"the secret key and the permissions on bucket {self.bucket!r}"
            )
        if code in OVERLOADED:
            return StorageUnavailable(f"{self.where} is overloaded ({code}); try again later")
        if code == "InvalidBucketName":
            return ConfigError(f"invalid bucket name {self.bucket!r}: {message}")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status >= 500:
            return StorageUnavailable(f"{self.where} failed ({code}): {message}")
        return StorageError(f"{self.label}: {code}: {message}")

    def _redact(self, text):
        for secret in self._credentials[1:]:
            if secret:
                text = text.replace(secret, "********")
        return text


def _error_code(error):
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code") or "") or None


def _check_endpoint(url):
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the S3 endpoint must be an http(s):// URL, not {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError("the S3 endpoint URL takes no credentials, query or fragment")
    return url.rstrip("/")


def _guess_type(key):
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _read_block(stream, size):
    """Up to ``size`` bytes of ``stream``, fewer only at its end.

    A short object costs its own size; a large one is read straight into one
    buffer, without the copy that joining chunks would make.
    """
    head = stream.read(size)
    if isinstance(head, str):
        raise TypeError("the stream must be opened in binary mode")
    if not head or len(head) >= size:
        return head or b""
    more = stream.read(size - len(head))
    if not more:
        return head
    block = bytearray(size)
    filled = len(head) + len(more)
    block[: len(head)] = head
    block[len(head) : filled] = more
    del head, more
    with memoryview(block) as view:
        while filled < size:
            count = _read_into(stream, view[filled:])
            if not count:
                break
            filled += count
    del block[filled:]
    return block


def _read_into(stream, view):
    if hasattr(stream, "readinto"):
        return stream.readinto(view) or 0
    data = stream.read(len(view))
    view[: len(data)] = data
    return len(data)


def _parts(first, stream, part_size):
    """``upload_part`` arguments: ``first``, then ``stream`` in blocks of ``part_size``.

    No reference to a block is kept once it is handed over, so a part sent
    is a part freed.
    """
    block, first = first, None
    while block:
        part = {"Body": block}
        block = None
        yield part
        part = None
        block = _read_block(stream, part_size)
