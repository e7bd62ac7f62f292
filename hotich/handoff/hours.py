"""Officers' hours for live chat, from the commune profile (`officer_hours:`), with an injected clock.

`officer_hours: reception` (or no key) means the reception hours and holidays of the profile.
A commune with other chat hours writes them the same way as the reception hours:

    officer_hours:
      weekdays: {0: [["07:30", "11:30"]], 1: …}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import yaml

from hotich.commune import WEEKDAY_NAMES, CommuneProfile, Interval, load_profile

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


def _t(value: Any) -> time:
    h, m = str(value).split(":")
    return time(int(h), int(m))


@dataclass
class OfficerHours:
    hours: dict[int, tuple[Interval, ...]]
    holidays: frozenset[date]
    tz: ZoneInfo
    clock: Clock = field(default=utc_clock)

    @classmethod
    def from_profile(cls, profile: CommuneProfile, setting: Any = "reception", clock: Clock = utc_clock) -> "OfficerHours":
        hours = profile.hours
        if isinstance(setting, dict) and setting.get("weekdays"):
            hours = {int(k): tuple((_t(a), _t(z)) for a, z in v) for k, v in setting["weekdays"].items()}
        return cls(hours, profile.holidays, ZoneInfo(profile.timezone), clock)

    def now(self) -> datetime:
        return self.clock().astimezone(self.tz)

    def _intervals(self, day: date) -> tuple[Interval, ...]:
        return () if day in self.holidays else self.hours.get(day.weekday(), ())

    def is_open(self, at: datetime | None = None) -> bool:
        at = (at or self.clock()).astimezone(self.tz)
        return any(a <= at.time() < z for a, z in self._intervals(at.date()))

    def next_open(self, at: datetime | None = None) -> datetime | None:
        """When officers are next at work: `at` itself if open now; None if never in 60 days."""
        at = (at or self.clock()).astimezone(self.tz)
        if self.is_open(at):
            return at
        for d in range(61):
            day = at.date() + timedelta(days=d)
            for a, _ in self._intervals(day):
                start = datetime.combine(day, a, self.tz)
                if start > at:
                    return start
        return None

    def describe(self, moment: datetime, at: datetime | None = None) -> str:
        """'13:30 hôm nay', '08:00 ngày mai (Thứ Ba, 01/12)', '08:00 Thứ Hai, 30/11'."""
        at = (at or self.clock()).astimezone(self.tz)
        moment = moment.astimezone(self.tz)
        days = (moment.date() - at.date()).days
        hm = f"{moment:%H:%M}"
        label = f"{WEEKDAY_NAMES[moment.weekday()]}, {moment:%d/%m}"
        if days == 0:
            return f"{hm} hôm nay"
        if days == 1:
            return f"{hm} ngày mai ({label})"
        return f"{hm} {label}"


def load_officer_hours(profile_path: str | Path, clock: Clock = utc_clock,
                       profile: CommuneProfile | None = None) -> OfficerHours:
    profile = profile or load_profile(profile_path)
    raw = yaml.safe_load(Path(profile_path).read_text(encoding="utf-8")) or {}
    return OfficerHours.from_profile(profile, raw.get("officer_hours", "reception"), clock)
