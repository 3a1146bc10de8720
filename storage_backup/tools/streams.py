# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Streams between pg_dump, the archive being built and the backend.

Nothing here holds more than a chunk: a backup flows from its producer
(pg_dump, the zip writer) through an OS pipe into ``driver.put``. A producer
that fails makes the stream raise instead of ending, so an upload can never
mistake a failed dump for a complete one.
"""

import contextlib
import hashlib
import os
import threading

from odoo.addons.storage_backend.storage_drivers.streams import ReadStream

PIPE_BUFFER = 1024 * 1024


class BackupError(Exception):
    """A backup or a restore could not be made; the message says why."""


class HashingReader(ReadStream):
    """Passes ``raw`` through, counting its bytes and hashing them (SHA-256)."""

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        self.size = 0
        self._sha256 = hashlib.sha256()

    @property
    def sha256(self):
        return self._sha256.hexdigest()

    def read(self, size=-1):  # pylint: disable=method-required-super
        data = self.raw.read(size)
        self._sha256.update(data)
        self.size += len(data)
        return data

    def close(self):
        if not self.closed:
            self.raw.close()
        return super().close()


class ProducerReader(ReadStream):
    """The bytes that ``produce(sink)`` writes, produced in a thread.

    They travel through an OS pipe, so memory is bounded by the pipe and one
    write buffer. When the producer fails, reading the end of the stream
    raises its error. Closing the reader early breaks the pipe, which stops
    the producer at its next write.
    """

    def __init__(self, produce, *, name="backup-producer"):
        super().__init__()
        read_fd, write_fd = os.pipe()
        self._source = os.fdopen(read_fd, "rb", buffering=0)
        self._sink = os.fdopen(write_fd, "wb", buffering=PIPE_BUFFER)
        self._produce = produce
        self._error = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self._produce(self._sink)
            self._sink.flush()
        except BaseException as error:  # handed over to the reader
            self._error = error
        finally:
            # after recording the error: the reader checks it once it sees the end
            with contextlib.suppress(OSError):
                self._sink.close()

    def read(self, size=-1):  # pylint: disable=method-required-super
        data = self._source.read(size)
        if not data and size != 0:
            self._thread.join()
            if self._error is not None:
                if isinstance(self._error, BackupError):
                    raise self._error
                raise BackupError(str(self._error) or type(self._error).__name__) from self._error
        return data

    def close(self):
        if not self.closed:
            self._source.close()  # a producer still writing gets a broken pipe
            self._thread.join()
        return super().close()


class ProcessReader(ReadStream):
    """Standard output of a process, which must end successfully.

    At the end of the output the process is waited for; a non-zero exit
    raises :class:`BackupError` with the end of its error output.
    """

    def __init__(self, process, what, stderr_file):
        super().__init__()
        self.process = process
        self.what = what
        self._stderr = stderr_file

    def read(self, size=-1):  # pylint: disable=method-required-super
        data = self.process.stdout.read(size)
        if not data and size != 0:
            self.check()
        return data

    def check(self):
        code = self.process.wait()
        if code:
            raise BackupError(f"{self.what} failed (exit code {code}): {self.error_output()}")

    def error_output(self, limit=2000):
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return text[-limit:] or "no error output"

    def close(self):
        if not self.closed:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process.stdout.close()
            self._stderr.close()
        return super().close()
