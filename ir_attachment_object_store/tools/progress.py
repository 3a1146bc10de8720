# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import time
from dataclasses import dataclass, field

from odoo.addons.storage_backend.storage_drivers.progress import human_bytes, human_duration


@dataclass
class Progress:
    """Counters of a long transfer, and their readable summary."""

    total_count: int = 0
    total_bytes: int = 0
    done_count: int = 0
    done_bytes: int = 0
    skipped_count: int = 0
    failed_count: int = 0
    errors: list = field(default_factory=list)
    complete: bool = False
    started: float = field(default_factory=time.monotonic)

    def add_done(self, size):
        self.done_count += 1
        self.done_bytes += size

    def add_failed(self, message):
        self.failed_count += 1
        if len(self.errors) < 20:
            self.errors.append(message)

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    @property
    def rate(self):
        """Bytes per second."""
        return self.done_bytes / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self):
        """Seconds left, or None while unknown."""
        remaining = self.total_bytes - self.done_bytes
        return remaining / self.rate if self.rate and remaining > 0 else None

    def summary(self):
        eta = self.eta
        text = (
            f"{self.done_count:,}/{self.total_count:,} files, "
            f"{human_bytes(self.done_bytes)}/{human_bytes(self.total_bytes)}, "
            f"{human_bytes(self.rate)}/s, "
            f"{self.done_count / self.elapsed if self.elapsed else 0:.0f} files/s"
        )
        if eta is not None:
            text += f", ETA {human_duration(eta)}"
        if self.failed_count:
            text += f", {self.failed_count} failed"
        if self.skipped_count:
            text += f", {self.skipped_count} unchanged"
        return text
