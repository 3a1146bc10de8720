"""Re-wrap encrypted objects' data keys under the current master key.

The data itself is never re-encrypted. Where the backend can modify objects
in place (local disk), only the header's key slots are rewritten: the new
slot is written and synced beside the old one before the old one is cleared,
so a crash at any point leaves a readable object. Elsewhere the object is
rewritten by streaming the new header and the same (verified) encrypted
chunks into a replacement object.

Objects already under the current key are skipped, so an interrupted run is
resumed by running it again. Afterwards the old master key can be retired.
"""

import logging
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from .encrypted_streams import ChunkedReader
from .encryption import ENCRYPTED_CONTENT_TYPE
from .envelope import MAX_SLOT_SIZE, ChunkCipher, Header, Slot, read_header, unwrap_data_key
from .errors import ConfigError, ObjectNotFound, StorageError
from .progress import Progress

_logger = logging.getLogger(__name__)

IN_PLACE = "rewrapped in place"
COPIED = "rewritten"
CURRENT = "already current"
PLAINTEXT = "plaintext"
GONE = "deleted meanwhile"


def rewrap_object(driver, key):
    """Re-wrap one object of an :class:`EncryptingDriver`.

    Returns ``(outcome, master key id found)``; raises storage errors.
    """
    keys = driver.keys
    if keys is None:
        raise ConfigError("re-wrapping needs a configured master key")
    current = keys.current_key_id
    header = driver.header(key)
    if header is None:
        return PLAINTEXT, None
    used_ids = [slot.key_id for slot in header.slots if slot]
    if used_ids == [current]:
        return CURRENT, current
    data_key, used = unwrap_data_key(header, keys)
    found = header.slots[used].key_id
    if found == current:
        new_slot, target = header.slots[used], used
    else:
        new_slot, target = Slot(*keys.wrap(data_key, header.identity)), 1 - used
    if driver.inner.can_write_at and new_slot.size <= header.slot_size:
        _rewrite_slots(driver.inner, key, header, new_slot, target)
        return IN_PLACE, found
    _rewrite_object(driver, key, header, data_key, new_slot)
    return COPIED, found


def _rewrite_slots(inner, key, header, new_slot, target):
    """Write ``new_slot`` at ``target`` (synced), then clear the other slot."""
    if header.slots[target] != new_slot:
        header.slots[target] = new_slot
        inner.write_at(key, header.slot_offset(target), header.pack_slot(target))
    other = 1 - target
    if header.slots[other]:
        header.slots[other] = None
        inner.write_at(key, header.slot_offset(other), header.pack_slot(other))


def _rewrite_object(driver, key, header, data_key, new_slot):
    slot_size = max(header.slot_size, new_slot.size)
    if slot_size > MAX_SLOT_SIZE:
        raise StorageError("the wrapped data key does not fit in a key slot")
    new_header = Header(header.chunk_size, header.nonce_prefix, slot_size, [new_slot, None])
    with driver.inner.open(key) as raw:
        read_header(raw)
        stream = _RewrittenReader(new_header.pack(), ChunkCipher(header, data_key), raw)
        driver.inner.put(key, stream, content_type=ENCRYPTED_CONTENT_TYPE)


class _RewrittenReader(ChunkedReader):
    """A new header, then the object's encrypted chunks as they are, verified."""

    def __init__(self, header_bytes, cipher, raw):
        super().__init__()
        self._header_bytes = header_bytes
        self._cipher = cipher
        self._raw = raw

    def _blocks(self):
        yield self._header_bytes
        for block, __ in self._cipher.blocks(self._cipher.raw_blocks(self._raw)):
            yield block


@dataclass
class RewrapReport:
    current_key_id: str
    objects: int = 0
    bytes: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)
    #: objects per master key id found before re-wrapping
    keys_found: Counter = field(default_factory=Counter)
    failed: int = 0
    #: ``(key, message)`` of the first failures
    failures: list = field(default_factory=list)

    def summary(self):
        done = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        found = ", ".join(f"{key_id}: {count}" for key_id, count in sorted(self.keys_found.items()))
        text = f"{self.objects} objects ({done or 'none'}), {self.failed} failed"
        if found:
            text += f"; master keys found: {found}"
        return f"{text}; now under {self.current_key_id!r}"


def rewrap_all(driver, prefix="", *, workers=4, logger=None, log_interval=10.0, max_failures=20):
    """Re-wrap every object under ``prefix``; returns a :class:`RewrapReport`.

    Failures (damaged objects, unknown master keys) are counted, logged and
    skipped. Memory stays bounded: keys are listed twice (once to count,
    once to work) rather than kept.
    """
    logger = logger or _logger
    if driver.keys is None:
        raise ConfigError("re-wrapping needs a configured master key")
    total_count = total_bytes = 0
    for stat in driver.inner.scan(prefix):
        total_count += 1
        total_bytes += stat.size
    report = RewrapReport(current_key_id=driver.keys.current_key_id)
    progress = Progress(
        f"re-wrap {driver.inner.label}",
        total_count,
        total_bytes,
        logger=logger,
        interval=log_interval,
    )

    def work(stat):
        try:
            return stat, *rewrap_object(driver, stat.key), None
        except ObjectNotFound:
            return stat, GONE, None, None
        except StorageError as error:
            return stat, None, None, str(error)

    def collect(future):
        stat, outcome, found, error = future.result()
        report.objects += 1
        report.bytes += stat.size
        if error is None:
            report.outcomes[outcome] += 1
            if found:
                report.keys_found[found] += 1
        else:
            report.failed += 1
            logger.error("re-wrap %s: %s", stat.key, error)
            if len(report.failures) < max_failures:
                report.failures.append((stat.key, error))
        progress.add(1, stat.size)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending = set()
        for stat in driver.inner.scan(prefix):
            pending.add(pool.submit(work, stat))
            if len(pending) >= 4 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future)
        for future in pending:
            collect(future)
    report.seconds = progress.elapsed
    logger.info("%s", progress.message())
    logger.info("re-wrap %s done: %s", driver.inner.label, report.summary())
    return report
