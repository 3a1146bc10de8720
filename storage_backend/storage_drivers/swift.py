"""OpenStack Swift, on python-swiftclient.

- One container holds the objects; large objects are static large objects
  (SLO) whose segments live in a second container (``<container>_segments``
  by default, as the ``swift`` command does).
- Uploads stream in chunks. An object whose length is known goes up in one
  request when it is at most ``large_object_size``, else in segments; for a
  stream of unknown length the driver reads ahead at most one segment to
  decide. Memory stays bounded by the segment size.
- Replacing or deleting a large object deletes its old segments; a failed
  upload deletes the segments it wrote (the manifest, written last, is what
  makes the object visible).
- One token is shared by every thread (:class:`SwiftAuth`); HTTP connections
  are not thread-safe, so each operation borrows one from a small pool.
"""

import contextlib
import hashlib
import http.client
import io
import json
import logging
import math
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, unquote, urlsplit

import requests
import urllib3
from swiftclient import client as swift
from swiftclient.exceptions import ClientException
from swiftclient.utils import LengthWrapper, generate_temp_url

from .base import CHECK_PREFIX, CheckResult, ObjectStat, StorageDriver, Usage
from .errors import (
    ConfigError,
    IntegrityError,
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)
from .streams import ReadStream
from .swift_auth import SwiftAuth, network_reason

_logger = logging.getLogger(__name__)

# swiftclient logs each refused request at INFO with the first characters of
# the token: keep it quiet unless someone configured it explicitly.
_swiftclient_logger = logging.getLogger("swiftclient")
if _swiftclient_logger.level == logging.NOTSET:
    _swiftclient_logger.setLevel(logging.WARNING)

MIB = 1024 * 1024
DEFAULT_SEGMENT_SIZE = 32 * MIB
MAX_SEGMENTS = 1000  # Swift's default max_manifest_segments
MAX_NAME_BYTES = 1024
MAX_CONTAINER_BYTES = 256
IDLE_CONNECTIONS = 8
NETWORK_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
RETRY_STATUSES = {408, 429, 498}  # and every 5xx
EMPTY_MD5 = hashlib.md5(b"").hexdigest()
# where a large object written by this driver names its segments (a prefix in
# the segments container): read back when the server cannot return manifests
SEGMENTS_HEADER = "X-Object-Meta-Storage-Segments"


def check_container_name(name):
    """Swift container names: 1 to 256 bytes, no slash, no control character."""
    if not isinstance(name, str) or not name:
        raise ConfigError("the Swift container name is empty")
    if "/" in name or any(ord(char) < 32 for char in name) or name in (".", ".."):
        raise ConfigError(f"invalid Swift container name {name!r}")
    if len(name.encode()) > MAX_CONTAINER_BYTES:
        raise ConfigError(f"Swift container name {name!r} is longer than 256 bytes")
    return name


def remaining_size(stream):
    """Bytes left in a seekable stream, or None when it cannot tell."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return end - here


def _timestamp(value):
    with contextlib.suppress(TypeError, ValueError):
        return datetime.fromtimestamp(float(value), timezone.utc)
    return None


def _listing_time(value):
    with contextlib.suppress(TypeError, ValueError):
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    return None


class SwiftDriver(StorageDriver):
    """Objects in one Swift container.

    ``container`` must exist unless ``auto_create``; authentication options
    are those of :class:`SwiftAuth` (``auth_url``, ``user``, ``key``,
    ``auth_version``, ``project``... or ``token`` and ``storage_url``).
    ``conditional_writes`` says whether the server refuses ``If-None-Match: *``
    over an existing object (OpenStack Swift does, Ceph RGW ignores it);
    ``None`` asks it once.
    """

    def __init__(
        self,
        container,
        *,
        segment_container=None,
        auto_create=True,
        large_object_size=DEFAULT_SEGMENT_SIZE,
        segment_size=DEFAULT_SEGMENT_SIZE,
        temp_url_key=None,
        conditional_writes=None,
        page_size=10000,
        timeout=60.0,
        insecure=False,
        chunk_size=MIB,
        retries=3,
        backoff=0.2,
        **auth_options,
    ):
        super().__init__(chunk_size=chunk_size, retries=retries, backoff=backoff)
        self.container = check_container_name(container)
        self.segment_container = check_container_name(segment_container or f"{container}_segments")
        if self.segment_container == self.container:
            raise ConfigError("the segments container must differ from the container")
        if not 0 < large_object_size <= 5 * 1024 * MIB:
            raise ConfigError("large_object_size must be between 1 byte and 5 GiB")
        if not 0 < segment_size <= 5 * 1024 * MIB:
            raise ConfigError("segment_size must be between 1 byte and 5 GiB")
        if not 0 < page_size <= 10000:
            raise ConfigError("page_size must be between 1 and 10000")
        self.auth = SwiftAuth(timeout=timeout, insecure=insecure, **auth_options)
        self.auto_create = auto_create
        self.large_object_size = large_object_size
        self.segment_size = segment_size
        self.temp_url_key = temp_url_key or None
        self.conditional_writes = conditional_writes
        self.page_size = page_size
        self.timeout = timeout
        self.insecure = insecure
        self.label = f"Swift container {self.container!r} at {self.auth.where}"
        self._idle = []
        self._idle_lock = threading.Lock()
        self._ready_containers = set()
        self._temp_url_key_set = False
        self._temp_url_digest = None
        self._copies_share_segments = None
        self._probe_lock = threading.Lock()

    # -- connections and errors -------------------------------------------------

    def _checkout(self, storage_url):
        with self._idle_lock:
            for index, http_conn in enumerate(self._idle):
                if http_conn[1].url == storage_url:
                    return self._idle.pop(index)
        return swift.http_connection(storage_url, insecure=self.insecure, timeout=self.timeout)

    def _checkin(self, http_conn):
        with self._idle_lock:
            if len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(http_conn)
                return
        http_conn[1].close()

    def close(self):
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for __, conn in idle:
            with contextlib.suppress(Exception):
                conn.close()

    def _on_unavailable(self):
        self.close()

    def _call(self, function, *args, hold=False, replay=None, **kwargs):
        """Run a swiftclient ``function(url, token, *args)`` on a pooled connection.

        A refused token is renewed once. A request with a body is sent again
        only if ``replay`` can rewind it (a callable); ``replay=False`` means
        the body was consumed for good. With ``hold``, returns the result and
        the connection, which the caller gives back (streamed downloads).
        """
        for attempt in (1, 2):
            storage_url, token = self.auth.credentials()
            http_conn = self._checkout(storage_url)
            try:
                result = function(storage_url, token, *args, http_conn=http_conn, **kwargs)
            except ClientException as error:
                self._checkin(http_conn)  # swiftclient read the whole error response
                if error.http_status == 401 and attempt == 1:
                    self.auth.invalidate(token)
                    if replay is False:
                        raise StorageUnavailable(
                            f"{self.label} refused an expired token while data was sent; "
                            "a new token is ready for the next attempt"
                        ) from error
                    if replay:
                        replay()
                    continue
                raise
            except BaseException:
                http_conn[1].close()
                raise
            if hold:
                return result, http_conn
            self._checkin(http_conn)
            return result

    @contextlib.contextmanager
    def _errors(self, what):
        """Turn swiftclient and network errors into storage errors."""
        try:
            yield
        except StorageError:
            raise
        except ClientException as error:
            raise self._client_error(error, what) from error
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(
                f"{self.label} is unreachable ({what}): {network_reason(error)}"
            ) from error

    def _client_error(self, error, what):
        status = error.http_status
        reason = f"{status} {error.http_reason}" if status else str(error)
        if status == 404:
            return ObjectNotFound(f"{what}: not found on {self.label}")
        if status == 412:
            return ObjectExists(f"{what}: the object already exists on {self.label}")
        if status == 422:  # the MD5 sent with the data did not match what Swift received
            return IntegrityError(f"{what}: {self.label} received corrupted data ({reason})")
        if status == 401:
            return ConfigError(f"{self.label} refused the token ({what}): {reason}")
        if status == 403:
            return StorageError(f"{self.label}: permission denied ({what}): {reason}")
        if status == 413:
            detail = (error.http_response_content or b"").decode(errors="replace")[:200]
            return StorageError(
                f"{self.label}: {what} refused, quota exceeded or object too large "
                f"({reason}{': ' + detail if detail else ''})"
            )
        if status is None or status >= 500 or status in RETRY_STATUSES:
            return StorageUnavailable(f"{self.label} failed ({what}): {reason}")
        return StorageError(f"{self.label}: {what} failed: {reason}")

    # -- containers ---------------------------------------------------------------

    def _head_container(self, container):
        try:
            return self._call(swift.head_container, container)
        except ClientException as error:
            if error.http_status == 404:
                return None
            raise

    def _ensure_container(self, container):
        """Check once per driver that ``container`` exists; create it if allowed."""
        if container in self._ready_containers:
            return
        with self._errors(f"look up container {container!r}"):
            if self._head_container(container) is None:
                if not self.auto_create:
                    raise ConfigError(
                        f"container {container!r} does not exist on {self.auth.where}; "
                        "create it or enable automatic creation"
                    )
                self._call(swift.put_container, container)
                _logger.info("%s: created container %r", self.label, container)
        self._ready_containers.add(container)

    def _container_missing(self, container):
        """A write found no container: look again on the next try."""
        self._ready_containers.discard(container)
        return StorageUnavailable(f"container {container!r} disappeared during the upload")

    # -- reads ----------------------------------------------------------------------

    def _head(self, key):
        """Headers of ``key``, or None."""
        try:
            return self._call(swift.head_object, self.container, key)
        except ClientException as error:
            if error.http_status == 404:
                return None
            raise

    def _stat(self, key):
        with self._errors(f"stat {key!r}"):
            headers = self._head(key)
        if headers is None:
            raise ObjectNotFound(f"{key!r} does not exist on {self.label}")
        return ObjectStat(
            key=key,
            size=int(headers.get("content-length", 0)),
            modified=_timestamp(headers.get("x-timestamp")),
            etag=headers.get("etag", "").strip('"') or None,
        )

    def _exists(self, key):
        with self._errors(f"look up {key!r}"):
            return self._head(key) is not None

    def _get(self, key):
        with self._errors(f"download {key!r}"):
            headers, body = self._call(swift.get_object, self.container, key)
        _check_length(key, len(body), headers)
        return body

    def _open(self, key):
        with self._errors(f"download {key!r}"):
            (headers, body), http_conn = self._call(
                swift.get_object,
                self.container,
                key,
                resp_chunk_size=self.chunk_size,
                hold=True,
            )
        return _SwiftReader(self, key, body, headers, http_conn)

    def _scan(self, prefix):
        marker = ""
        while True:
            page = self._retry(
                lambda marker=marker: self._list_page(prefix, marker), what="list objects"
            )
            for item in page:
                size, etag = int(item["bytes"]), item.get("hash")
                if etag == EMPTY_MD5 and size:
                    # a large object listed with its manifest's size (Ceph
                    # RGW; Swift lists the total): only a HEAD tells
                    with contextlib.suppress(ObjectNotFound):
                        stat = self._stat(item["name"])
                        size, etag = stat.size, stat.etag
                yield ObjectStat(
                    key=item["name"],
                    size=size,  # a large object's total size
                    modified=_listing_time(item.get("last_modified")),
                    etag=etag,
                )
            if len(page) < self.page_size:
                return
            marker = page[-1]["name"]

    def _list_page(self, prefix, marker):
        with self._errors(f"list {prefix!r}"):
            try:
                return self._call(
                    swift.get_container,
                    self.container,
                    marker=marker,
                    limit=self.page_size,
                    prefix=prefix or None,
                )[1]
            except ClientException as error:
                if error.http_status == 404:  # no container yet: nothing stored
                    return []
                raise

    # -- writes -----------------------------------------------------------------------

    def _put(self, key, stream, *, content_type, overwrite):
        with self._errors(f"upload {key!r}"):
            self._ensure_container(self.container)
            # Only a replacement needs to know the old object (its segments);
            # a write-once PUT is refused by Swift itself (If-None-Match), so
            # it costs one request where the server honours the header.
            previous = self._head(key) if overwrite else None
            old_segments = self._segments_of(key, previous)
            headers = {}
            if not overwrite:
                if not self._supports_conditional_writes():
                    self._check_overwrite(key, overwrite)  # best effort: not atomic
                headers["If-None-Match"] = "*"
            if content_type:
                headers["Content-Type"] = content_type
            size = remaining_size(stream)
            if size is not None and size <= self.large_object_size:
                self._put_known_size(key, stream, size, headers)
            else:
                source = _Source(stream, self.chunk_size)
                head = None
                if size is None:
                    head = source.read(min(self.large_object_size, self.segment_size))
                if head is not None and source.at_end():
                    self._put_bytes(key, head, headers)
                else:
                    self._put_large(key, source, headers, first=head, size=size)
            self._delete_segments(old_segments, quiet=True)

    def _supports_conditional_writes(self):
        if self.conditional_writes is None:
            with self._probe_lock:
                if self.conditional_writes is None:
                    self.conditional_writes = self._probe_conditional_writes()
        return self.conditional_writes

    def _probe_conditional_writes(self):
        """Whether the server refuses ``If-None-Match: *`` over an existing object.

        A server that ignores the header would silently replace objects, so
        it is tested on a probe once per driver rather than trusted.
        """
        key = f"{CHECK_PREFIX}conditional-{uuid.uuid4().hex}"
        self._put_object(self.container, key, b"1", {})
        try:
            self._put_object(self.container, key, b"2", {"If-None-Match": "*"})
            supported = False
        except ClientException as error:
            if error.http_status != 412:
                raise
            supported = True
        finally:
            self._call(swift.delete_object, self.container, key)
        _logger.info(
            "%s: %s",
            self.label,
            "conditional writes supported"
            if supported
            else "If-None-Match is ignored: write-once uses a checked write",
        )
        return supported

    def _put_object(self, container, name, contents, headers, replay=False, **kwargs):
        try:
            return self._call(
                swift.put_object,
                container,
                name,
                contents,
                headers=headers,
                replay=replay,
                **kwargs,
            )
        except ClientException as error:
            if error.http_status == 404:
                raise self._container_missing(container) from error
            raise

    def _put_bytes(self, key, data, headers, container=None):
        """One request carrying ``data`` and its MD5: Swift verifies it."""
        etag = hashlib.md5(data).hexdigest()
        body = _BufferReader(data)
        self._put_object(
            container or self.container,
            key,
            body,
            headers,
            replay=body.rewind,
            content_length=len(data),
            etag=etag,
        )
        return etag

    def _put_known_size(self, key, stream, size, headers):
        if isinstance(stream, io.BytesIO):  # bytes handed to put(): hash without a copy
            with stream.getbuffer() as buffer, buffer[stream.tell() :] as rest:
                etag = hashlib.md5(rest).hexdigest()
            headers = {**headers, "ETag": etag}
        contents = LengthWrapper(stream, size, md5=True)
        seekable = getattr(stream, "seekable", lambda: False)()
        returned = self._put_object(
            self.container,
            key,
            contents,
            headers,
            replay=contents.reset if seekable else False,
            content_length=size,
        )
        if returned != contents.get_md5sum():
            self._call(swift.delete_object, self.container, key)
            raise IntegrityError(f"{key!r} was corrupted on its way to {self.label}")

    def _put_large(self, key, source, headers, *, first=None, size=None):
        """Upload segments, then the manifest that makes the object visible."""
        self._ensure_container(self.segment_container)
        segment_size = self.segment_size
        if size is not None:  # a known length never hits the segment count limit
            segment_size = max(segment_size, math.ceil(size / MAX_SEGMENTS))
        upload = uuid.uuid4().hex
        prefix = f"{key}/{upload}" if len(key.encode()) <= MAX_NAME_BYTES - 42 else upload
        manifest = []
        try:
            while first is not None or not source.at_end():
                if len(manifest) == MAX_SEGMENTS:
                    raise StorageError(
                        f"{key!r} needs more than {MAX_SEGMENTS} segments of "
                        f"{segment_size} bytes: raise the segment size of {self.label}"
                    )
                name = f"{prefix}/{len(manifest):08d}"
                manifest.append({"path": f"/{self.segment_container}/{name}"})
                if first is not None:  # the look-ahead of a stream of unknown length
                    etag = self._put_bytes(name, first, {}, self.segment_container)
                    length, first = len(first), None
                else:
                    digest = hashlib.md5()
                    chunks = source.chunks(segment_size, digest)
                    etag = self._put_object(self.segment_container, name, chunks, {})
                    length = chunks.sent
                    if etag != digest.hexdigest():
                        raise IntegrityError(f"a segment of {key!r} was corrupted on its way")
                manifest[-1].update(etag=etag, size_bytes=length)
            if "If-None-Match" in headers and not self.conditional_writes:
                # a writer that came during the upload is seen (not atomic)
                self._check_overwrite(key, False)
            headers = {**headers, SEGMENTS_HEADER: quote(f"{prefix}/")}
            self._put_object(
                self.container,
                key,
                json.dumps(manifest).encode(),
                headers,
                replay=None,  # bytes are sent again as they are
                query_string="multipart-manifest=put",
            )
        except BaseException:
            self._delete_segments([entry["path"] for entry in manifest], quiet=True)
            raise

    def _segments_of(self, key, headers):
        """Paths of the segments of large object ``key`` (from its HEAD headers).

        Large objects written by this driver name their segments' prefix in
        a header (a listing finds them); others are read from their manifest,
        which some servers cannot return (Ceph RGW answers an empty body).
        """
        if not headers or headers.get("x-static-large-object", "").lower() != "true":
            return []
        named = headers.get(SEGMENTS_HEADER.lower())
        if named:
            prefix = unquote(named)
            listing = self._call(
                swift.get_container, self.segment_container, prefix=prefix, full_listing=True
            )[1]
            return [f"/{self.segment_container}/{item['name']}" for item in listing]
        try:
            __, body = self._call(
                swift.get_object,
                self.container,
                key,
                query_string="multipart-manifest=get&format=raw",
            )
        except ClientException as error:
            if error.http_status == 404:  # deleted meanwhile
                return []
            raise
        if not body:
            _logger.warning("%s: no manifest for %r: its old segments stay", self.label, key)
            return []
        ours = f"/{self.segment_container}/"
        # never touch segments this driver did not write
        return [entry["path"] for entry in json.loads(body) if entry["path"].startswith(ours)]

    def _delete_segments(self, paths, quiet=False):
        """Delete segments in one bulk request; leftovers are only wasted space."""
        if not paths:
            return
        try:
            with self._errors("delete segments"):
                __, body = self._call(
                    swift.post_account,
                    headers={"Accept": "application/json", "Content-Type": "text/plain"},
                    query_string="bulk-delete",
                    data="\n".join(quote(path) for path in paths).encode(),
                )
                _check_bulk_result(json.loads(body), "delete segments")
        except StorageError as error:
            if not quiet:
                raise
            _logger.warning("%s: %d segments left behind: %s", self.label, len(paths), error)

    def _delete(self, key):
        with self._errors(f"delete {key!r}"):
            headers = self._head(key)
            if headers is None:
                return
            if headers.get("x-static-large-object", "").lower() == "true":
                # the manifest and its segments, server-side
                body = self._call(
                    _request,
                    "DELETE",
                    self.container,
                    key,
                    query="multipart-manifest=delete",
                    headers={"Accept": "application/json"},
                )
                _check_bulk_result(json.loads(body), f"delete {key!r}")
                return
            try:
                self._call(swift.delete_object, self.container, key)
            except ClientException as error:
                if error.http_status != 404:  # deleted meanwhile
                    raise

    def _copy(self, src_key, dst_key):
        if not self._copy_from(self.container, src_key, dst_key):
            super()._copy(src_key, dst_key)  # beyond Swift's 5 GiB copy limit: stream it

    def _copy_to(self, target, key, target_key):
        if not isinstance(target, SwiftDriver):
            return False
        with self._errors("compare accounts"):
            same_account = self.auth.credentials()[0] == target.auth.credentials()[0]
        # one account: Swift copies between its containers by itself
        return same_account and target._copy_from(self.container, key, target_key)

    def _copy_from(self, container, src_key, dst_key):
        """Server-side copy of ``container/src_key`` here.

        False when the copy must be streamed instead: past Swift's size
        limit, or a large object on a server whose copies share the
        original's segments (Ceph RGW): deleting either would break the other.
        """
        with self._errors(f"copy {src_key!r}"):
            self._ensure_container(self.container)
            try:
                source_headers = self._call(swift.head_object, container, src_key)
            except ClientException as error:
                if error.http_status == 404:
                    raise ObjectNotFound(f"{src_key!r} does not exist in {container!r}") from error
                raise
            large = source_headers.get("x-static-large-object", "").lower() == "true"
            if large and self._copies_share_segments:
                return False
            old_segments = self._segments_of(dst_key, self._head(dst_key))
            source = quote(f"/{container}/{src_key}")
            try:
                self._call(
                    swift.put_object,
                    self.container,
                    dst_key,
                    None,
                    headers={"X-Copy-From": source},
                )
            except ClientException as error:
                if error.http_status == 404:
                    raise ObjectNotFound(f"{src_key!r} does not exist in {container!r}") from error
                if error.http_status != 413:
                    raise
                return False
            if large and self._copies_share_segments is None:
                copied = self._head(dst_key) or {}
                self._copies_share_segments = (
                    copied.get("x-static-large-object", "").lower() == "true"
                )
                if self._copies_share_segments:
                    _logger.info("%s: large objects are copied by streaming", self.label)
                    # only the copy's manifest: the segments are the original's
                    self._call(swift.delete_object, self.container, dst_key)
                    return False
            self._delete_segments(old_segments, quiet=True)
        return True

    # -- URLs and usage --------------------------------------------------------------

    def _url(self, key, expires):
        if not self.temp_url_key:
            return None
        if expires < 1:
            raise ValueError("expires must be at least one second")
        with self._errors("make a temporary URL"):
            storage_url, __ = self.auth.credentials()
            self._apply_temp_url_key()
        parts = urlsplit(storage_url)
        signed = generate_temp_url(
            f"{parts.path}/{self.container}/{key}",
            expires,
            self.temp_url_key,
            "GET",
            digest=self._temp_url_digest or "sha256",
        )
        path, __, query = signed.partition("?")
        return f"{parts.scheme}://{parts.netloc}{quote(path)}?{query}"

    def check(self):
        """The base probe, then a temporary URL fetched like a browser would."""
        result = super().check()
        if not (result.ok and self.temp_url_key):
            return result
        key = f"{CHECK_PREFIX}{uuid.uuid4().hex}"
        try:
            self.put(key, b"temp URL probe")
            response = requests.get(self.url(key, 60), timeout=self.timeout)
            self.delete(key)
        except (StorageError, requests.RequestException) as error:
            return CheckResult(False, f"{self.label}: temporary URL check failed: {error}")
        if response.status_code != 200 or response.content != b"temp URL probe":
            return CheckResult(
                False,
                f"{self.label}: Swift refused a temporary URL ({response.status_code} "
                f"{response.reason}): is the temp URL key the container's or the account's? "
                "(Ceph RGW only accepts the account's: X-Account-Meta-Temp-URL-Key)",
            )
        return CheckResult(True, f"{result.message}; temporary URLs work", result.seconds)

    def _apply_temp_url_key(self):
        """Learn how to sign, and set the key on the container, once per driver.

        The digest is the strongest the server lists in its ``/info``
        (``sha1`` where it lists none, as Ceph RGW). A key already set on
        the account (either slot) is used as it is; else it is set on the
        container, which Ceph RGW ignores (the check says so).
        """
        if self._temp_url_key_set:
            return
        if self._temp_url_digest is None:
            self._temp_url_digest = self._best_temp_url_digest()
        account = self._call(swift.head_account)
        if self.temp_url_key in (
            account.get("x-account-meta-temp-url-key"),
            account.get("x-account-meta-temp-url-key-2"),
        ):
            self._temp_url_key_set = True
            return
        try:
            self._call(
                swift.post_container,
                self.container,
                {"X-Container-Meta-Temp-URL-Key": self.temp_url_key},
            )
        except ClientException as error:
            if error.http_status not in (403, 404):
                raise
            # not allowed (the key may be set on the account) or no container yet
            return
        self._temp_url_key_set = True

    def _best_temp_url_digest(self):
        storage_url, __ = self.auth.credentials()
        try:
            response = requests.get(
                _info_url(storage_url), timeout=self.timeout, verify=not self.insecure
            )
            tempurl = response.json().get("tempurl") if response.ok else None
        except (requests.RequestException, ValueError, AttributeError):
            tempurl = None
        if tempurl is None:  # no /info: what current Swift accepts by default
            return "sha256"
        allowed = tempurl.get("allowed_digests") or ["sha1"]  # listed since Swift 2.17
        return next((name for name in ("sha256", "sha512") if name in allowed), allowed[0])

    def usage(self):
        return self._retry(self._usage, what="read usage")

    def _usage(self):
        with self._errors("read usage"):
            main = self._head_container(self.container) or {}
            segments = self._head_container(self.segment_container) or {}
            account = self._call(swift.head_account)
        used = int(main.get("x-container-bytes-used", 0))
        limits = [
            (int(quota), int(taken))
            for quota, taken in (
                (main.get("x-container-meta-quota-bytes"), used),
                (account.get("x-account-meta-quota-bytes"), account.get("x-account-bytes-used", 0)),
            )
            if quota
        ]
        return Usage(
            bytes_used=used + int(segments.get("x-container-bytes-used", 0)),
            object_count=int(main.get("x-container-object-count", 0)),
            quota_bytes=min(quota for quota, __ in limits) if limits else None,
            bytes_free=min(max(quota - taken, 0) for quota, taken in limits) if limits else None,
        )


def _info_url(storage_url):
    """Where the server describes itself: ``/info`` beside the ``/v1`` of the storage URL."""
    parts = urlsplit(storage_url)
    path = parts.path + "/"
    root = path[: path.find("/v1/")] if "/v1/" in path else ""
    return f"{parts.scheme}://{parts.netloc}{root}/info"


def _request(storage_url, token, method, container, name, *, http_conn, query=None, headers=None):
    """A request swiftclient has no function for; returns the response body."""
    parsed, conn = http_conn
    path = f"{parsed.path}/{quote(container)}/{quote(name)}"
    if query:
        path += f"?{query}"
    conn.request(method, path, "", {**(headers or {}), "X-Auth-Token": token})
    response = conn.getresponse()
    body = response.read()
    if not 200 <= response.status < 300:
        raise ClientException.from_response(response, f"Object {method} failed", body)
    return body


def _check_bulk_result(result, what):
    """Bulk and SLO deletes answer 200 and tell the real outcome in the body."""
    status = str(result.get("Response Status", ""))
    errors = result.get("Errors") or []
    if status.startswith("2") and not errors:
        return
    detail = f"{status} {errors[:3]}" if errors else status
    if status[:1] == "5":
        raise StorageUnavailable(f"{what}: {detail}")
    raise StorageError(f"{what}: {detail}")


def _check_length(key, received, headers):
    expected = headers.get("content-length")
    if expected is not None and received != int(expected):
        raise StorageUnavailable(
            f"the download of {key!r} was cut short ({received} of {expected} bytes)"
        )


class _BufferReader:
    """A file object over a buffer, so that it is sent without a copy."""

    def __init__(self, buffer):
        self._view = memoryview(buffer)
        self._position = 0

    def rewind(self):
        self._position = 0

    def read(self, size=-1):
        start = self._position
        end = len(self._view) if size is None or size < 0 else start + size
        self._position = min(end, len(self._view))
        return bytes(self._view[start : self._position])


class _Source:
    """An upload stream read in chunks, with one chunk of look-ahead."""

    def __init__(self, stream, chunk_size):
        self.stream = stream
        self.chunk_size = chunk_size
        self.pending = b""

    def _next_chunk(self, limit):
        if self.pending:
            chunk, self.pending = self.pending[:limit], self.pending[limit:]
            return chunk
        chunk = self.stream.read(min(self.chunk_size, limit))
        if isinstance(chunk, str):
            raise TypeError("the stream must be opened in binary mode")
        return chunk or b""

    def at_end(self):
        if not self.pending:
            self.pending = self._next_chunk(self.chunk_size)
        return not self.pending

    def read(self, limit):
        """A bytearray of ``limit`` bytes, fewer only at the end of the stream."""
        buffer = bytearray()
        while len(buffer) < limit:
            chunk = self._next_chunk(limit - len(buffer))
            if not chunk:
                break
            buffer += chunk
        return buffer

    def chunks(self, limit, digest):
        return _Chunks(self, limit, digest)


class _Chunks:
    """Iterable over the next ``limit`` bytes, hashed as they are sent."""

    def __init__(self, source, limit, digest):
        self.source = source
        self.limit = limit
        self.digest = digest
        self.sent = 0

    def __iter__(self):
        while self.sent < self.limit:
            chunk = self.source._next_chunk(self.limit - self.sent)
            if not chunk:
                return
            self.digest.update(chunk)
            self.sent += len(chunk)
            yield chunk


class _SwiftReader(ReadStream):
    """A streamed download; gives its connection back to the pool when done."""

    def __init__(self, driver, key, body, headers, http_conn):
        super().__init__()
        self._driver = driver
        self._key = key
        self._body = body
        self._headers = headers
        self._expected = int(headers.get("content-length", -1))
        self._received = 0
        self._http_conn = http_conn

    def read(self, size=-1):
        if self.closed:
            raise ValueError("read from a closed download")
        if size is None or size < 0:
            return self.readall()
        with self._driver._errors(f"download {self._key!r}"):
            data = self._body.read(size) if size else b""
            if size and not data:
                _check_length(self._key, self._received, self._headers)
        self._received += len(data)
        return data

    def readall(self):
        chunks = []
        while chunk := self.read(self._driver.chunk_size):
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self):
        if not self.closed and self._http_conn is not None:
            http_conn, self._http_conn = self._http_conn, None
            with contextlib.suppress(Exception):
                self._body.close()
            if self._received == self._expected:
                self._driver._checkin(http_conn)
            else:  # unread data on the wire: the connection cannot be reused
                http_conn[1].close()
        super().close()
