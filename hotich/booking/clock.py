"""The one place that reads the wall clock. Logic receives `now`; adapters pass `clock()`."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

try:
    VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # pragma: no cover - no tz database on the host
    VN_TZ = timezone(timedelta(hours=7), "ICT")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(VN_TZ)


def fixed_clock(now: datetime) -> Clock:
    return lambda: now


def clock_from_env() -> Clock:
    """HOTICH_FAKE_NOW (ISO, test/demo only) freezes the booking clock of a whole stack."""
    fake = os.environ.get("HOTICH_FAKE_NOW", "").strip()
    if not fake:
        return system_clock
    start = datetime.fromisoformat(fake)
    if start.tzinfo is None:
        start = start.replace(tzinfo=VN_TZ)
    return fixed_clock(start.astimezone(VN_TZ))


def local(now: datetime) -> datetime:
    """`now` in commune time (naive datetimes are taken as commune time)."""
    return now.replace(tzinfo=VN_TZ) if now.tzinfo is None else now.astimezone(VN_TZ)
