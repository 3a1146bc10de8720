# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Which backups a retention policy keeps.

For each period (hour, day, ISO week, month, year) with a count, the newest
backup of each of the last ``count`` periods that have a backup is kept
(``-1``: every period, ``0``: none), as ``borg prune`` and ``restic forget``
do. The newest backup is always kept. Periods are counted in UTC.
"""

PERIODS = {
    "hourly": lambda moment: moment.strftime("%Y-%m-%d %H"),
    "daily": lambda moment: moment.strftime("%Y-%m-%d"),
    "weekly": lambda moment: "{:04d}-W{:02d}".format(*moment.isocalendar()[:2]),
    "monthly": lambda moment: moment.strftime("%Y-%m"),
    "yearly": lambda moment: moment.strftime("%Y"),
}
UNLIMITED = -1


def backups_to_keep(moments, counts):
    """The subset of ``moments`` (datetimes of backups) to keep.

    ``counts`` maps a period name of :data:`PERIODS` to how many periods keep
    a backup.
    """
    newest_first = sorted(set(moments), reverse=True)
    keep = set(newest_first[:1])
    for period, count in counts.items():
        if not count:
            continue
        bucket_of = PERIODS[period]
        seen = set()
        for moment in newest_first:
            bucket = bucket_of(moment)
            if bucket in seen:
                continue
            if count != UNLIMITED and len(seen) >= count:
                break
            seen.add(bucket)
            keep.add(moment)
    return keep
