"""Officer side: today's and tomorrow's appointments, closing a day or a slot.

Closing is race-safe with bookings: the counter rows of the closed slots are created and set
`closed` first (blocking on, then seeing, any booking transaction holding them), then every
booking overlapping the closure is displaced — its seats freed, its reminder cancelled, and a
closure notice queued for the gateway (the resident is offered new times, same code).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from hotich.booking import calendar as cal
from hotich.booking.clock import local
from hotich.booking.dates import day_label, parse_when
from hotich.booking.phone import pretty_phone
from hotich.booking.replies import procedure_name
from hotich.booking.service import (cancel_pending_notices, ensure_slot_rows, notice_data, release_seats,
                                    utc, _retry)
from hotich.commune import CommuneProfile
from hotich.db.models.booking import Booking, BookingClosure, BookingNotice, BookingSlot
from hotich.db.session import session_scope

log = logging.getLogger(__name__)

USAGE = ("Cách dùng:\n/lichhen — lịch hẹn hôm nay và ngày mai\n"
         "/dongcua <ngày> [giờ] [lý do] — đóng cả ngày hoặc một khung giờ, ví dụ:\n"
         "  /dongcua 15/12 họp cơ quan\n  /dongcua mai 09:00 cán bộ đi công tác")


def is_officer(user_id: int | str | None, officer_ids: frozenset[int]) -> bool:
    try:
        return user_id is not None and int(user_id) in officer_ids
    except (TypeError, ValueError):
        return False


def day_listing(db_url: str, profile: CommuneProfile, now: datetime, days: int = 2) -> str:
    """'/lichhen': appointments of today and tomorrow, by time, with name and phone for the officer."""
    today = local(now).date()
    out: list[str] = []
    with session_scope(db_url) as s:
        for i in range(days):
            d = today + timedelta(days=i)
            label = ("Hôm nay" if i == 0 else "Ngày mai" if i == 1 else "") + f" — {day_label(d, with_year=True)}"
            rows = s.scalars(select(Booking).where(Booking.day == d, Booking.status == "booked")
                             .order_by(Booking.start_min, Booking.id)).all()
            closures = s.scalars(select(BookingClosure).where(BookingClosure.day == d)).all()
            out.append(f"📅 {label}: {len(rows)} lịch hẹn")
            for c in closures:
                out.append(f"  ⛔ đã đóng {'cả ngày' if c.start_min is None else cal.hhmm(c.start_min)}"
                           + (f" ({c.reason})" if c.reason else ""))
            if not profile.is_open_on(d) and not rows:
                out.append("  (xã không tiếp nhận ngày này)")
            for b in rows:
                who = ", ".join(x for x in (b.name, pretty_phone(b.phone) if b.phone else None) if x)
                out.append(f"  {cal.hhmm(b.start_min)}–{cal.hhmm(b.start_min + b.minutes)} · {b.code} · "
                           f"{procedure_name(b.procedure)}" + (f" · {who}" if who else "")
                           + (" ✅" if b.confirmed_at else ""))
    return "\n".join(out)


@dataclass
class CloseRequest:
    day: date
    start: int | None
    reason: str


_TIME_ARG = re.compile(r"^(\d{1,2})(?:[:hg](\d{2})?)$", re.IGNORECASE)


def parse_close_args(args: list[str], now: datetime) -> CloseRequest | None:
    """'/dongcua 15/12 09:00 họp' → CloseRequest(2026-12-15, 540, 'họp'). None when no day."""
    if not args:
        return None
    when = parse_when(args[0], now)
    if when.day is None:
        return None
    rest = list(args[1:])
    start = None
    if rest and _TIME_ARG.match(rest[0]):
        m = _TIME_ARG.match(rest[0])
        start = int(m.group(1)) * 60 + int(m.group(2) or 0)
        rest = rest[1:]
    return CloseRequest(when.day, start, " ".join(rest).strip()[:200])


@dataclass
class CloseResult:
    day: date
    start: int | None
    closed_slots: int
    affected: list[str]          # booking codes displaced (their residents get a notice)


def close(db_url: str, profile: CommuneProfile, now: datetime, day: date, start: int | None,
          reason: str, officer_id: str) -> CloseResult:
    bases = cal.base_starts(profile, day)
    if start is not None:
        inside = [b for b in bases if b <= start < b + profile.booking.slot_minutes]
        targets = inside
    else:
        targets = bases

    def tx() -> CloseResult:
        with session_scope(db_url) as s:
            ensure_slot_rows(s, day, targets)
            if targets:
                s.execute(update(BookingSlot).where(BookingSlot.day == day, BookingSlot.start_min.in_(targets))
                          .values(closed=True).execution_options(synchronize_session=False))
            q = select(Booking).where(Booking.day == day, Booking.status == "booked")
            rows = s.scalars(q.order_by(Booking.start_min).with_for_update()).all()
            affected: list[str] = []
            for b in rows:
                covered = cal.covered(profile, b.start_min, b.procedure)
                if start is not None and not set(covered) & set(targets):
                    continue
                release_seats(s, b.day, covered)
                old = f"{cal.hhmm(b.start_min)} {day_label(b.day)}"
                b.status = "displaced"
                b.updated_at = utc(now)
                cancel_pending_notices(s, b.id, ("reminder",))
                s.add(BookingNotice(booking_id=b.id, kind="closure", due_at=utc(now), state="pending",
                                    created_at=utc(now),
                                    data=notice_data(day=day.isoformat(), start=cal.hhmm(start) if start is not None
                                                     else None, reason=reason, old=old)))
                affected.append(b.code)
            s.add(BookingClosure(day=day, start_min=targets[0] if start is not None and targets else None,
                                 reason=reason or None, officer_id=str(officer_id), affected=len(affected),
                                 created_at=utc(now)))
            log.info("closure day=%s start=%s by officer=%s: %d bookings displaced", day,
                     cal.hhmm(start) if start is not None else "-", officer_id, len(affected))
            return CloseResult(day, targets[0] if start is not None and targets else None, len(targets), affected)

    return _retry(tx)


def close_reply(res: CloseResult) -> str:
    what = (f"khung {cal.hhmm(res.start)} " if res.start is not None else "cả ngày ") + day_label(res.day, True)
    if res.closed_slots == 0:
        return f"Ngày {day_label(res.day, True)} vốn không có giờ tiếp nhận; không có gì để đóng."
    n = len(res.affected)
    tail = (f"{n} lịch hẹn bị ảnh hưởng ({', '.join(res.affected)}); người dân sẽ được báo và mời chọn giờ khác."
            if n else "Không có lịch hẹn nào bị ảnh hưởng.")
    return f"⛔ Đã đóng {what}. {tail}"
