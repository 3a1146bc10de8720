"""Drivers on PyFilesystem2: a rooted local directory and any FS URL.

Uploads go to a hidden temporary name beside the target and are renamed
into place, so a reader never sees half an object and a failed upload never
replaces a good one. Temporary names are never listed.
"""

import contextlib
import os
import shutil
import threading
import uuid
from urllib.parse import urlsplit, urlunsplit

import fs.errors
from fs.ftpfs import FTPFS, ftp_errors
from fs.opener import open_fs
from fs.opener.errors import OpenerError
from fs.osfs import OSFS
from fs.walk import Walker

from .base import ObjectStat, StorageDriver
from .errors import (
    ConfigError,
    ObjectExists,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
)
from .streams import GuardedReader, copy_stream

TEMP_PREFIX = ".~upload-"

_UNAVAILABLE = (
    fs.errors.RemoteConnectionError,
    fs.errors.OperationTimeout,
    fs.errors.CreateFailed,
    fs.errors.FilesystemClosed,
    ConnectionError,
    TimeoutError,
    EOFError,
)


def _temp_key(key):
    """A hidden, unique sibling of ``key`` to upload into."""
    parent = key.rpartition("/")[0]
    name = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    return f"{parent}/{name}" if parent else name


def _unwrap(filesystem, path):
    """The innermost filesystem behind wrappers (SubFS...) and its path."""
    while hasattr(filesystem, "delegate_path"):
        filesystem, path = filesystem.delegate_path(path)
    return filesystem, path


class FSDriver(StorageDriver):
    """A driver over a PyFilesystem2 filesystem, opened lazily.

    ``opener`` returns a fresh ``fs.base.FS``; it is called again after a
    connection failure so remote filesystems reconnect by themselves.
    """

    def __init__(self, opener, *, label="filesystem", **kwargs):
        super().__init__(**kwargs)
        self._opener = opener
        self._fs = None
        self._lock = threading.Lock()
        self.label = label

    # -- connection ------------------------------------------------------------

    @property
    def filesystem(self):
        if self._fs is None:
            with self._lock:
                if self._fs is None:
                    with self._translate():
                        self._fs = self._opener()
        return self._fs

    def close(self):
        with self._lock:
            if self._fs is not None:
                with contextlib.suppress(Exception):
                    self._fs.close()
                self._fs = None

    def _on_unavailable(self):
        self.close()

    @contextlib.contextmanager
    def _translate(self, key=None):
        """Turn PyFilesystem2 and OS errors into storage errors."""
        what = f"{key!r} on {self.label}" if key else self.label
        try:
            yield
        except StorageError:
            raise
        except (fs.errors.ResourceNotFound, fs.errors.FileExpected, FileNotFoundError) as err:
            raise ObjectNotFound(f"{what} does not exist") from err
        except (fs.errors.FileExists, fs.errors.DestinationExists, FileExistsError) as err:
            raise ObjectExists(f"{what} already exists") from err
        except _UNAVAILABLE as err:
            raise StorageUnavailable(f"{self.label} is unreachable: {err}") from err
        except (fs.errors.PermissionDenied, fs.errors.ResourceReadOnly, PermissionError) as err:
            raise StorageError(f"permission denied writing {what}: {err}") from err
        except fs.errors.InsufficientStorage as err:
            raise StorageError(f"no space left for {what}") from err
        except (fs.errors.FSError, OSError) as err:
            raise StorageError(f"{what}: {err}") from err

    # -- hooks -------------------------------------------------------------------

    def _put(self, key, stream, *, content_type, overwrite):
        filesystem = self.filesystem
        parent = key.rpartition("/")[0]
        temp = _temp_key(key)
        with self._translate(key):
            self._check_overwrite(key, overwrite)
            if parent:
                filesystem.makedirs(parent, recreate=True)
            try:
                first = stream.read(self.chunk_size)
                if first:
                    with filesystem.openbin(temp, "w") as target:
                        target.write(first)
                        copy_stream(stream, target, self.chunk_size)
                else:
                    # FTP creates no file for an upload without data
                    filesystem.writebytes(temp, b"")
                self._rename(temp, key, overwrite)
            except BaseException:
                with contextlib.suppress(Exception):
                    filesystem.remove(temp)
                raise

    def _rename(self, temp, key, overwrite):
        filesystem = self.filesystem
        if filesystem.hassyspath(temp):
            source, target = filesystem.getsyspath(temp), filesystem.getsyspath(key)
            if overwrite:
                os.replace(source, target)
            else:
                # link() refuses an existing target atomically, unlike rename()
                os.link(source, target)
                os.unlink(source)
            return
        self._check_overwrite(key, overwrite)
        base, base_temp = _unwrap(filesystem, temp)
        if isinstance(base, FTPFS):
            # FTP renames server-side (RNFR/RNTO); fs would copy the bytes
            base_key = _unwrap(filesystem, key)[1]
            with ftp_errors(base, key):
                base.ftp.rename(base_temp, base_key)
        else:
            filesystem.move(temp, key, overwrite=True)

    def _open(self, key):
        with self._translate(key):
            return GuardedReader(self.filesystem.openbin(key, "r"), lambda: self._translate(key))

    def _delete(self, key):
        filesystem = self.filesystem
        with self._translate(key):
            try:
                filesystem.remove(key)
            except (fs.errors.ResourceNotFound, fs.errors.FileExpected):
                return
            self._prune_parents(key)

    def _prune_parents(self, key):
        """Remove directories left empty, keeping the tree tidy."""
        parent = key.rpartition("/")[0]
        while parent:
            try:
                self.filesystem.removedir(parent)
            except fs.errors.FSError:
                return
            parent = parent.rpartition("/")[0]

    def _stat(self, key):
        with self._translate(key):
            info = self.filesystem.getinfo(key, namespaces=["details"])
        if info.is_dir:
            raise ObjectNotFound(f"{key!r} on {self.label} does not exist")
        return ObjectStat(key=key, size=info.size, modified=info.modified)

    def _scan(self, prefix):
        directory = prefix if prefix.endswith("/") or not prefix else prefix.rpartition("/")[0]
        filesystem = self.filesystem
        walker = Walker(exclude=[f"{TEMP_PREFIX}*"])
        with self._translate(prefix or None):
            if directory and not filesystem.isdir(directory):
                return
            for path, info in walker.info(filesystem, directory or "/", namespaces=["details"]):
                key = path.lstrip("/")
                if not info.is_dir and key.startswith(prefix):
                    yield ObjectStat(key=key, size=info.size, modified=info.modified)

    def _copy(self, src_key, dst_key):
        filesystem = self.filesystem
        with self._translate(src_key):
            if filesystem.hassyspath(src_key):
                parent = dst_key.rpartition("/")[0]
                if parent:
                    filesystem.makedirs(parent, recreate=True)
                source = filesystem.getsyspath(src_key)
                if not os.path.isfile(source):
                    raise ObjectNotFound(f"{src_key!r} on {self.label} does not exist")
                temp = filesystem.getsyspath(_temp_key(dst_key))
                try:
                    shutil.copyfile(source, temp)
                    os.replace(temp, filesystem.getsyspath(dst_key))
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)
                    raise
                return
        super()._copy(src_key, dst_key)

    @property
    def can_write_at(self):
        return self.filesystem.hassyspath("/")

    def _write_at(self, key, offset, data):
        with self._translate(key):
            fd = os.open(self.filesystem.getsyspath(key), os.O_WRONLY)
            try:
                if offset < 0 or offset + len(data) > os.fstat(fd).st_size:
                    raise StorageError(f"cannot write past the end of {key!r} in place")
                if os.pwrite(fd, data, offset) != len(data):
                    raise StorageError(f"short write into {key!r} on {self.label}")
                os.fsync(fd)
            finally:
                os.close(fd)

    def _copy_to(self, target, key, target_key):
        source = self.filesystem
        if not (isinstance(target, FSDriver) and source.hassyspath(key)):
            return False
        destination = target.filesystem
        if not destination.hassyspath(target_key):
            return False
        with self._translate(key):
            parent = target_key.rpartition("/")[0]
            if parent:
                destination.makedirs(parent, recreate=True)
            temp = destination.getsyspath(_temp_key(target_key))
            try:
                shutil.copyfile(source.getsyspath(key), temp)
                os.replace(temp, destination.getsyspath(target_key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        return True

    def _bytes_free(self):
        filesystem = self.filesystem
        if filesystem.hassyspath("/"):
            return shutil.disk_usage(filesystem.getsyspath("/")).free
        return None


class LocalDriver(FSDriver):
    """Files under one local directory; a key can never leave it."""

    def __init__(self, root, *, create=True, **kwargs):
        if not root or not os.path.isabs(root):
            raise ConfigError(f"the local storage root must be an absolute path, not {root!r}")
        self.root = os.path.normpath(root)
        super().__init__(self._open_root, label=f"local disk {self.root}", **kwargs)
        self._create = create

    @property
    def filesystem(self):
        if self._fs is not None and not os.path.isdir(self.root):
            self.close()  # the root was removed under us: create it again
        return super().filesystem

    def _open_root(self):
        if self._create:
            try:
                os.makedirs(self.root, exist_ok=True)
            except OSError as err:
                raise StorageError(f"cannot create directory {self.root}: {err.strerror}") from err
        if not os.path.isdir(self.root):
            raise ConfigError(f"{self.root} is not a directory")
        return OSFS(self.root)


def redact_url(url):
    """The URL without its password, for labels and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


class FSURLDriver(FSDriver):
    """Any PyFilesystem2 URL: ``osfs://``, ``mem://``, ``ftp://``, ..."""

    def __init__(self, url, *, create=True, **kwargs):
        if not url or "://" not in url:
            raise ConfigError(f"not a filesystem URL: {redact_url(url or '')!r}")
        self.fs_url = url
        super().__init__(self._open_url, label=redact_url(url), **kwargs)
        self._create = create

    def _open_url(self):
        try:
            return open_fs(self.fs_url, create=self._create)
        except OpenerError as err:
            raise ConfigError(f"cannot open {self.label}: {err}") from err
