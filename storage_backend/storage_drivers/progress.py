"""Progress of long runs over many objects: count, bytes, rate and ETA, logged."""

import logging
import threading
import time

_logger = logging.getLogger(__name__)


def human_bytes(count):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return None  # not reached


def human_duration(seconds):
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Thread-safe counters logged at most every ``interval`` seconds.

    The ETA follows bytes when a byte total is known, else object counts.
    """

    def __init__(self, label, total_count, total_bytes=0, *, logger=None, interval=10.0):
        self.label = label
        self.total_count = total_count
        self.total_bytes = total_bytes
        self.count = 0
        self.bytes = 0
        self.logger = logger or _logger
        self.interval = interval
        self._started = self._logged = time.monotonic()
        self._lock = threading.Lock()

    def add(self, count=1, nbytes=0):
        with self._lock:
            self.count += count
            self.bytes += nbytes
            now = time.monotonic()
            if now - self._logged < self.interval:
                return
            self._logged = now
            message = self.message(now)
        self.logger.info("%s", message)

    def message(self, now=None):
        elapsed = max((now or time.monotonic()) - self._started, 1e-6)
        parts = [f"{self.label}: {self.count}/{self.total_count} objects"]
        if self.total_bytes:
            parts.append(f"{human_bytes(self.bytes)}/{human_bytes(self.total_bytes)}")
        parts.append(f"{human_bytes(self.bytes / elapsed)}/s, {self.count / elapsed:.1f} objects/s")
        if self.bytes and self.total_bytes:
            remaining = (self.total_bytes - self.bytes) * elapsed / self.bytes
        elif self.count:
            remaining = (self.total_count - self.count) * elapsed / self.count
        else:
            remaining = None
        if remaining is not None and self.count < self.total_count:
            parts.append(f"ETA {human_duration(remaining)}")
        return ", ".join(parts)

    @property
    def elapsed(self):
        return time.monotonic() - self._started
