"""The one clock. Domain code takes ``now`` as an argument; services get it from here.

In development and tests (``CLOCK_OFFSET_FILE`` set) every process adds the offset in seconds
written in that file, so a test can move time forward for the whole running stack without
sleeping. Production leaves it unset and gets the wall clock.
"""
import datetime as dt
import os
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

UTC = dt.timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, offset_file=None):
        self.offset_file = offset_file
        self._cache = (None, 0.0)  # (mtime, offset)

    def offset(self):
        if not self.offset_file:
            return 0.0
        try:
            mtime = os.stat(self.offset_file).st_mtime_ns
        except FileNotFoundError:
            return 0.0
        if self._cache[0] != mtime:
            with open(self.offset_file) as f:
                text = f.read().strip()
            self._cache = (mtime, float(text or 0))
        return self._cache[1]

    def now(self):
        """Aware UTC datetime (stored as naive UTC by pymongo)."""
        return dt.datetime.now(UTC) + dt.timedelta(seconds=self.offset())

    def today_local(self):
        return self.now().astimezone(SHANGHAI).date()


def set_offset(offset_file, seconds):
    """Tests: move every process's clock (that reads this file) by ``seconds``."""
    tmp = offset_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(seconds))
    os.replace(tmp, offset_file)


class ClockProvider(DependencyProvider):
    def setup(self):
        self.clock = Clock(self.container.config.get("CLOCK_OFFSET_FILE") or None)

    def get_dependency(self, worker_ctx):
        return self.clock


def as_utc(value):
    """pymongo hands back naive UTC datetimes: make them aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def iso(value):
    return as_utc(value).isoformat() if value else None
