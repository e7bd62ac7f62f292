"""Settings an admin changes on the desk — reception hours, holidays, slot length and seats —
stored in the commune DB and laid over the commune profile file, so they take effect without a
restart (readers call `effective_profile`, which is cheap: one small table)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, time

from sqlalchemy import select

from hotich.commune import CommuneProfile, Interval
from hotich.db.base import utcnow
from hotich.db.models import CommuneSetting
from hotich.db.session import session_scope

KEYS = ("hours", "holidays", "booking")
SLOT_MINUTES = (10, 15, 20, 30, 45, 60)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class SettingsError(ValueError):
    """A Vietnamese message saying what to correct."""


def parse_intervals(text: str) -> tuple[Interval, ...]:
    """'08:00-11:00, 13:30-16:30' → ((08:00, 11:00), (13:30, 16:30)); '' → closed that day."""
    out: list[Interval] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        bits = [b.strip() for b in re.split(r"[-–]", part)]
        if len(bits) != 2 or not all(_HHMM.match(b) for b in bits):
            raise SettingsError(f"Khung giờ “{part}” không đúng dạng HH:MM-HH:MM.")
        a, z = (time(int(b.split(":")[0]), int(b.split(":")[1])) for b in bits)
        if a >= z:
            raise SettingsError(f"Khung giờ “{part}”: giờ bắt đầu phải trước giờ kết thúc.")
        if out and a < out[-1][1]:
            raise SettingsError(f"Khung giờ “{part}” chồng lên khung trước; hãy ghi theo thứ tự thời gian.")
        out.append((a, z))
    return tuple(out)


def format_intervals(intervals: tuple[Interval, ...]) -> str:
    return ", ".join(f"{a:%H:%M}-{z:%H:%M}" for a, z in intervals)


def parse_holidays(text: str) -> frozenset[date]:
    days = set()
    for part in filter(None, (p.strip() for p in re.split(r"[\s,;]+", text))):
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise SettingsError(f"Ngày “{part}” không đúng dạng YYYY-MM-DD.") from None
    return frozenset(days)


def validate_booking(slot_minutes: int, capacity: int) -> dict:
    if slot_minutes not in SLOT_MINUTES:
        raise SettingsError("Độ dài mỗi khung hẹn phải là " + ", ".join(map(str, SLOT_MINUTES)) + " phút.")
    if not 1 <= capacity <= 50:
        raise SettingsError("Số người mỗi khung phải từ 1 đến 50.")
    return {"slot_minutes": slot_minutes, "capacity_per_slot": capacity}


def _load(db_url: str) -> dict[str, object]:
    with session_scope(db_url) as s:
        return {row.key: json.loads(row.value) for row in s.scalars(select(CommuneSetting))}


def save(db_url: str, key: str, value: object, username: str) -> None:
    if key not in KEYS:
        raise KeyError(key)
    with session_scope(db_url) as s:
        row = s.get(CommuneSetting, key)
        data = json.dumps(value, ensure_ascii=False)
        if row is None:
            s.add(CommuneSetting(key=key, value=data, updated_by=username))
        else:
            row.value, row.updated_by, row.updated_at = data, username, utcnow()


def hours_value(hours: dict[int, tuple[Interval, ...]]) -> dict[str, list[list[str]]]:
    return {str(wd): [[f"{a:%H:%M}", f"{z:%H:%M}"] for a, z in iv] for wd, iv in hours.items() if iv}


def effective_profile(base: CommuneProfile, db_url: str) -> CommuneProfile:
    """The profile file with the desk's saved settings laid over it."""
    saved = _load(db_url)
    profile = base
    if "hours" in saved:
        hours = {int(wd): tuple((time.fromisoformat(a), time.fromisoformat(z)) for a, z in iv)
                 for wd, iv in saved["hours"].items()}
        profile = replace(profile, hours=hours)
    if "holidays" in saved:
        profile = replace(profile, holidays=frozenset(date.fromisoformat(d) for d in saved["holidays"]))
    if "booking" in saved:
        b = saved["booking"]
        profile = replace(profile, booking=replace(profile.booking, slot_minutes=int(b["slot_minutes"]),
                                                   capacity_per_slot=int(b["capacity_per_slot"])))
    return profile
