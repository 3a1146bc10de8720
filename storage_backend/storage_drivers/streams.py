"""Small helpers to move bytes in bounded memory."""

import contextlib
import io
import queue
import threading

DEFAULT_CHUNK_SIZE = 1024 * 1024


def as_stream(data):
    """A binary file object for ``data`` (bytes-like or a binary file object)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(data)
    if hasattr(data, "read"):
        return data
    raise TypeError(f"data must be bytes or a binary file object, not {type(data).__name__}")


def iter_chunks(stream, chunk_size=DEFAULT_CHUNK_SIZE):
    """Yield non-empty chunks of at most ``chunk_size`` bytes from ``stream``."""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        if isinstance(chunk, str):
            raise TypeError("the stream must be opened in binary mode")
        yield chunk


def copy_stream(source, target, chunk_size=DEFAULT_CHUNK_SIZE):
    """Copy ``source`` to ``target`` chunk by chunk; return the byte count."""
    total = 0
    for chunk in iter_chunks(source, chunk_size):
        target.write(chunk)
        total += len(chunk)
    return total


class Rewindable:
    """Remember where a stream started so a failed upload can be retried.

    Bytes are always rewindable; a seekable stream is rewound to where it was
    when handed over; any other stream can be sent only once.
    """

    def __init__(self, data):
        self.stream = as_stream(data)
        try:
            self.start = self.stream.tell() if self.stream.seekable() else None
        except (AttributeError, OSError):
            self.start = None

    @property
    def can_retry(self):
        return self.start is not None

    def rewind(self):
        self.stream.seek(self.start)
        return self.stream


class ReadAhead:
    """Run ``iterator`` in a daemon thread, at most ``depth`` items ahead.

    Lets CPU work (encryption) overlap with I/O done by the consumer, or I/O
    (network reads) overlap with CPU work done by the consumer: both release
    the GIL. Items come out in order; an exception in the thread is raised
    in the consumer. :meth:`close` stops the thread and waits for it, so the
    iterator's source is no longer used afterwards.
    """

    _END = object()

    def __init__(self, iterator, depth=4):
        self._queue = queue.Queue(depth)
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._produce, args=(iterator,), name="storage-read-ahead", daemon=True
        )
        self._thread.start()

    def _produce(self, iterator):
        try:
            for item in iterator:
                if not self._offer((item, None)):
                    return
        except BaseException as error:  # handed to the consumer
            self._offer((None, error))
            return
        self._offer((self._END, None))

    def _offer(self, entry):
        while not self._stopping.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        return self

    def __next__(self):
        item, error = self._queue.get()
        if error is not None:
            self._queue.put((None, error))  # raised again by later calls
            raise error
        if item is self._END:
            self._queue.put((self._END, None))
            raise StopIteration
        return item

    def close(self):
        self._stopping.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:  # unblock the producer at once
                    self._queue.get_nowait()
            self._thread.join(0.01)


class ReadStream(io.RawIOBase):
    """A readable raw stream whose subclasses only implement ``read(size)``."""

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class GuardedReader(ReadStream):
    """A read stream whose errors are storage errors, wherever they happen.

    ``guard`` returns a context manager translating the backend's exceptions
    (a driver's ``_translate``); every read runs inside it.
    """

    def __init__(self, raw, guard):
        super().__init__()
        self._raw = raw
        self._guard = guard

    def read(self, size=-1):
        with self._guard():
            # "read all" is spelled differently by each backend: pass no size
            return self._raw.read(size) if size is not None and size >= 0 else self._raw.read()

    def readall(self):
        return self.read()

    def close(self):
        if not self.closed:
            with contextlib.suppress(Exception):
                self._raw.close()
        super().close()
