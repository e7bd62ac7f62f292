"""Slot calendar: which appointment times exist and which are still free.

A day's reception intervals (commune profile) are cut into base slots of `slot_minutes`; each
base slot seats `capacity_per_slot` residents. A procedure that needs longer (kết hôn: both
partners come) takes one seat in each of several consecutive base slots. Pure functions: the
caller passes `now` and the seats already taken (from the database).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Mapping

from hotich.booking.clock import local
from hotich.commune import CommuneProfile

SlotKey = tuple[date, int]            # (day, start in minutes after midnight)


@dataclass(frozen=True)
class SlotUse:
    booked: int = 0
    closed: bool = False


@dataclass(frozen=True)
class Slot:
    day: date
    start: int                         # minutes after midnight
    minutes: int
    free: int                          # seats left (the tightest covered base slot)

    @property
    def start_time(self) -> time:
        return minutes_to_time(self.start)

    @property
    def end_time(self) -> time:
        return minutes_to_time(self.start + self.minutes)

    @property
    def hhmm(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}"


def minutes_to_time(m: int) -> time:
    return time(m // 60, m % 60)


def time_to_minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_hhmm(value: str) -> int | None:
    try:
        h, m = str(value).strip().split(":")
        h_, m_ = int(h), int(m)
    except ValueError:
        return None
    return h_ * 60 + m_ if 0 <= h_ < 24 and 0 <= m_ < 60 else None


def procedure_minutes(profile: CommuneProfile, procedure: str | None) -> int:
    rules = profile.booking
    return int(rules.procedure_slot_minutes.get(procedure or "", rules.slot_minutes))


def span(profile: CommuneProfile, procedure: str | None) -> int:
    """How many consecutive base slots one booking of `procedure` takes."""
    return max(1, math.ceil(procedure_minutes(profile, procedure) / profile.booking.slot_minutes))


def base_starts(profile: CommuneProfile, day: date) -> list[int]:
    """Start minutes of the base slots of `day` (empty when closed or a holiday)."""
    step = profile.booking.slot_minutes
    out: list[int] = []
    for a, b in profile.intervals_on(day):
        m, end = time_to_minutes(a), time_to_minutes(b)
        while m + step <= end:
            out.append(m)
            m += step
    return out


def covered(profile: CommuneProfile, start: int, procedure: str | None) -> list[int]:
    """Base slot starts a booking at `start` occupies."""
    step = profile.booking.slot_minutes
    return [start + i * step for i in range(span(profile, procedure))]


def candidate_starts(profile: CommuneProfile, day: date, procedure: str | None) -> list[int]:
    """Starts where the whole procedure fits inside one reception interval."""
    bases = set(base_starts(profile, day))
    return [s for s in sorted(bases) if all(c in bases for c in covered(profile, s, procedure))]


def first_day(profile: CommuneProfile, now: datetime) -> date:
    return local(now).date()


def last_day(profile: CommuneProfile, now: datetime) -> date:
    return local(now).date() + timedelta(days=profile.booking.horizon_days)


def day_problem(profile: CommuneProfile, day: date, now: datetime) -> str | None:
    """Why `day` cannot be booked at all ("past", "too_far", "holiday", "closed_weekday",
    "same_day_cutoff"), or None."""
    today = local(now).date()
    if day < today:
        return "past"
    if day > last_day(profile, now):
        return "too_far"
    if day in profile.holidays:
        return "holiday"
    if not profile.hours.get(day.weekday()):
        return "closed_weekday"
    if day == today and local(now).time() >= profile.booking.same_day_cutoff:
        return "same_day_cutoff"
    return None


def start_in_time(profile: CommuneProfile, day: date, start: int, now: datetime) -> bool:
    """Respects the minimum lead time (an appointment can't start in the next hour)."""
    at = datetime.combine(day, minutes_to_time(start), tzinfo=local(now).tzinfo)
    return at >= local(now) + timedelta(minutes=profile.booking.min_lead_minutes)


def slots_on(profile: CommuneProfile, day: date, now: datetime, procedure: str | None,
             usage: Mapping[SlotKey, SlotUse], include_full: bool = False) -> list[Slot]:
    """Bookable slots of `day` for `procedure`, with the seats left."""
    if day_problem(profile, day, now):
        return []
    cap = profile.booking.capacity_per_slot
    minutes = procedure_minutes(profile, procedure)
    out: list[Slot] = []
    for s in candidate_starts(profile, day, procedure):
        if not start_in_time(profile, day, s, now):
            continue
        uses = [usage.get((day, c), SlotUse()) for c in covered(profile, s, procedure)]
        free = 0 if any(u.closed for u in uses) else max(0, min(cap - u.booked for u in uses))
        if free > 0 or include_full:
            out.append(Slot(day, s, minutes, free))
    return out


def bookable_days(profile: CommuneProfile, now: datetime) -> list[date]:
    today = local(now).date()
    days = (today + timedelta(days=i) for i in range(profile.booking.horizon_days + 1))
    return [d for d in days if day_problem(profile, d, now) is None]


def free_days(profile: CommuneProfile, now: datetime, procedure: str | None,
              usage: Mapping[SlotKey, SlotUse], limit: int | None = None) -> list[tuple[date, int]]:
    """Days with at least one free slot, and how many places are left that day."""
    out: list[tuple[date, int]] = []
    for d in bookable_days(profile, now):
        slots = slots_on(profile, d, now, procedure, usage)
        if slots:
            out.append((d, sum(s.free for s in slots)))
            if limit and len(out) >= limit:
                break
    return out


def next_free(profile: CommuneProfile, now: datetime, procedure: str | None,
              usage: Mapping[SlotKey, SlotUse], after: tuple[date, int] | None = None,
              limit: int = 3) -> list[Slot]:
    """The first free slots from `after` on (the offer made when a slot was just taken)."""
    out: list[Slot] = []
    for d in bookable_days(profile, now):
        if after and d < after[0]:
            continue
        for s in slots_on(profile, d, now, procedure, usage):
            if after and d == after[0] and s.start <= after[1]:
                continue
            out.append(s)
            if len(out) >= limit:
                return out
    if after and len(out) < limit:      # nothing later: also offer earlier free times
        for s in next_free(profile, now, procedure, usage, None, limit):
            if s not in out and len(out) < limit:
                out.append(s)
    return out
