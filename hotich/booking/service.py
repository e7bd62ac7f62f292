"""Book, reschedule, cancel and list appointments — race-safe on SQLite and PostgreSQL.

Race guard. Each base slot has a counter row in `booking_slots`. Taking a seat is one statement:

    UPDATE booking_slots SET booked = booked + 1
     WHERE day = :d AND start_min = :s AND booked < :capacity AND NOT closed

run in the same transaction as the booking insert. It succeeds for exactly `capacity` callers:
PostgreSQL row-locks the counter and re-checks `booked < capacity` after a concurrent writer
commits; SQLite lets one writer at a time into the database (the transaction starts with a
write, so the lock is held before anything is read). A booking that needs several base slots
(kết hôn) takes them in ascending order and rolls everything back if one is full.

The per-resident limit is checked in the same transaction after the seats are taken (SQLite:
write lock held) under a PostgreSQL advisory lock on the resident, so two bookings of the
same resident cannot both slip under the limit.
"""
from __future__ import annotations

import json
import logging
import time as _time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable, TypeVar

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hotich.booking import calendar as cal
from hotich.booking.clock import Clock, local, system_clock
from hotich.booking.codes import new_code, normalize_code
from hotich.booking.dates import day_label
from hotich import identity
from hotich.booking.phone import normalize_phone
from hotich.commune import CommuneProfile
from hotich.db.models.booking import Booking, BookingNotice, BookingSlot
from hotich.db.session import session_scope

log = logging.getLogger(__name__)
T = TypeVar("T")
ACTIVE = ("booked", "displaced")      # a future appointment the resident still holds


class BookingError(Exception):
    """Base class: a booking request the resident must be told about."""


class NotBookable(BookingError):
    def __init__(self, reason: str, suggestions: list[cal.Slot] | None = None):
        super().__init__(reason)
        self.reason = reason              # calendar.day_problem reasons, "not_a_slot", "lead_time", "closed"
        self.suggestions = suggestions or []


class SlotFull(BookingError):
    def __init__(self, suggestions: list[cal.Slot]):
        super().__init__("full")
        self.suggestions = suggestions


class TooManyBookings(BookingError):
    def __init__(self, limit: int, bookings: list["BookingView"]):
        super().__init__("limit")
        self.limit = limit
        self.bookings = bookings


class BookingNotFound(BookingError):
    pass


@dataclass(frozen=True)
class BookingView:
    code: str
    procedure: str
    day: date
    start: int
    minutes: int
    status: str
    channel: str
    user_id: str
    sender_id: str
    name: str | None = None
    phone: str | None = None
    case: str | None = None

    @property
    def hhmm(self) -> str:
        return cal.hhmm(self.start)

    @property
    def when_text(self) -> str:
        return f"{self.hhmm} {day_label(self.day, with_year=True)}"


def _view(b: Booking) -> BookingView:
    return BookingView(b.code, b.procedure, b.day, b.start_min, b.minutes, b.status, b.channel, b.user_id,
                       b.sender_id, b.name, b.phone, b.case)


def utc(dt: datetime) -> datetime:
    return local(dt).astimezone(timezone.utc)


def _retry(fn: Callable[[], T], attempts: int = 8) -> T:
    """Re-run a transaction that lost a deadlock / lock timeout / code collision."""
    for i in range(attempts):
        try:
            return fn()
        except (OperationalError, IntegrityError) as exc:
            if i == attempts - 1:
                raise
            log.info("booking transaction retry %d: %s", i + 1, type(exc.orig).__name__ if exc.orig else exc)
            _time.sleep(0.01 * (i + 1))
    raise AssertionError("unreachable")


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ensure_slot_rows(session: Session, day: date, starts: Iterable[int]) -> None:
    """Create missing counter rows. On SQLite this first write also takes the write lock."""
    rows = [{"day": day, "start_min": s, "booked": 0, "closed": False} for s in sorted(set(starts))]
    if rows:
        stmt = _insert(session)(BookingSlot).values(rows).on_conflict_do_nothing(index_elements=["day", "start_min"])
        session.execute(stmt)


def take_seats(session: Session, day: date, starts: Iterable[int], capacity: int) -> bool:
    for s in sorted(starts):
        res = session.execute(
            update(BookingSlot)
            .where(BookingSlot.day == day, BookingSlot.start_min == s, BookingSlot.booked < capacity,
                   BookingSlot.closed.is_(False))
            .values(booked=BookingSlot.booked + 1)
            .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            return False
    return True


def release_seats(session: Session, day: date, starts: Iterable[int]) -> None:
    for s in sorted(starts):
        session.execute(update(BookingSlot)
                        .where(BookingSlot.day == day, BookingSlot.start_min == s, BookingSlot.booked > 0)
                        .values(booked=BookingSlot.booked - 1)
                        .execution_options(synchronize_session=False))


def _lock_resident(session: Session, sender_id: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(sender_id.encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def cancel_pending_notices(session: Session, booking_id: int, kinds: tuple[str, ...] = ("reminder", "closure")) -> None:
    session.execute(update(BookingNotice)
                    .where(BookingNotice.booking_id == booking_id, BookingNotice.state == "pending",
                           BookingNotice.kind.in_(kinds))
                    .values(state="cancelled")
                    .execution_options(synchronize_session=False))


def reminder_due(profile: CommuneProfile, day: date, now: datetime) -> datetime:
    at = datetime.combine(day - timedelta(days=1), profile.booking.reminder_time, tzinfo=local(now).tzinfo)
    return utc(at)


class BookingService:
    def __init__(self, db_url: str, profile: CommuneProfile, clock: Clock = system_clock) -> None:
        self.db_url = db_url
        self.profile = profile
        self.clock = clock

    # ------------------------------------------------------------------ reading
    def now(self) -> datetime:
        return local(self.clock())

    def usage(self, session: Session | None = None, first: date | None = None,
              last: date | None = None) -> dict[cal.SlotKey, cal.SlotUse]:
        now = self.now()
        first = first or now.date()
        last = last or cal.last_day(self.profile, now)

        def read(s: Session) -> dict[cal.SlotKey, cal.SlotUse]:
            rows = s.execute(select(BookingSlot.day, BookingSlot.start_min, BookingSlot.booked, BookingSlot.closed)
                             .where(BookingSlot.day >= first, BookingSlot.day <= last))
            return {(d, m): cal.SlotUse(b, bool(c)) for d, m, b, c in rows}

        if session is not None:
            return read(session)
        with session_scope(self.db_url) as s:
            return read(s)

    def free_days(self, procedure: str | None, limit: int | None = None) -> list[tuple[date, int]]:
        return cal.free_days(self.profile, self.now(), procedure, self.usage(), limit)

    def free_slots(self, procedure: str | None, day: date, period: str | None = None) -> list[cal.Slot]:
        slots = cal.slots_on(self.profile, day, self.now(), procedure, self.usage(first=day, last=day))
        if period == "morning":
            slots = [s for s in slots if s.start < 12 * 60]
        elif period == "afternoon":
            slots = [s for s in slots if s.start >= 12 * 60]
        return slots

    def next_free(self, procedure: str | None, after: tuple[date, int] | None = None, limit: int = 3) -> list[cal.Slot]:
        return cal.next_free(self.profile, self.now(), procedure, self.usage(), after, limit)

    def day_problem(self, procedure: str | None, day: date) -> str | None:
        """Why nobody can book `procedure` on `day` (calendar reasons, or "full")."""
        problem = cal.day_problem(self.profile, day, self.now())
        if problem:
            return problem
        if not cal.slots_on(self.profile, day, self.now(), procedure, {}):
            return "no_slot_left_today" if day == self.now().date() else "closed_weekday"
        if not self.free_slots(procedure, day):
            return "full"
        return None

    def _validate_slot(self, procedure: str, day: date, start: int) -> None:
        now = self.now()
        problem = cal.day_problem(self.profile, day, now)
        if problem:
            raise NotBookable(problem, self.next_free(procedure))
        if start not in cal.candidate_starts(self.profile, day, procedure):
            raise NotBookable("not_a_slot", self.free_slots(procedure, day)[:3] or self.next_free(procedure))
        if not cal.start_in_time(self.profile, day, start, now):
            raise NotBookable("lead_time", self.next_free(procedure, (day, start)))

    def list_for(self, sender_id: str, include_past: bool = False) -> list[BookingView]:
        now = self.now()
        with session_scope(self.db_url) as s:
            q = select(Booking).where(Booking.sender_id == sender_id, Booking.status.in_(ACTIVE))
            if not include_past:
                q = q.where(Booking.day >= now.date())
            rows = s.scalars(q.order_by(Booking.day, Booking.start_min)).all()
            today_min = now.hour * 60 + now.minute
            return [_view(b) for b in rows if include_past or b.day > now.date() or b.start_min >= today_min]

    def get(self, sender_id: str, code: str) -> BookingView:
        code_n = normalize_code(code)
        with session_scope(self.db_url) as s:
            b = s.scalar(select(Booking).where(Booking.code == code_n, Booking.sender_id == sender_id)) if code_n else None
            if b is None:
                raise BookingNotFound(code)
            return _view(b)

    def _count_future(self, s: Session, sender_id: str, exclude_id: int | None = None,
                      phones: tuple[str, ...] = ()) -> list[Booking]:
        """Future bookings of this conversation, and of the same phone number on any channel (one
        person on the web chat and Telegram is one resident for the cap)."""
        now = self.now()
        who = or_(Booking.sender_id == sender_id, Booking.phone.in_(phones)) if phones else Booking.sender_id == sender_id
        q = select(Booking).where(who, Booking.status.in_(ACTIVE),
                                  or_(Booking.day > now.date(),
                                      and_(Booking.day == now.date(), Booking.start_min >= now.hour * 60 + now.minute)))
        if exclude_id is not None:
            q = q.where(Booking.id != exclude_id)
        return list(s.scalars(q.order_by(Booking.day, Booking.start_min)).all())

    # ------------------------------------------------------------------ writing
    def book(self, sender_id: str, procedure: str, day: date, start: int, name: str, phone: str,
             case: str | None = None) -> BookingView:
        """Take a seat. Raises SlotFull (with the next free slots), TooManyBookings, NotBookable.
        `case`: the KB sub-case the resident asked about, so the reminder lists its papers."""
        self._validate_slot(procedure, day, start)
        starts = cal.covered(self.profile, start, procedure)
        cap = self.profile.booking.capacity_per_slot
        limit = self.profile.booking.max_future_bookings_per_resident
        who = identity.address(sender_id)
        channel, user_id = who.channel, who.user_id
        phone_key = normalize_phone(phone) or phone

        def tx() -> BookingView:
            with session_scope(self.db_url) as s:
                ensure_slot_rows(s, day, starts)
                _lock_resident(s, sender_id)
                _lock_resident(s, "phone:" + phone_key)   # same person booking on two channels at once
                if not take_seats(s, day, starts, cap):
                    s.rollback()
                    raise SlotFull(self.next_free(procedure, (day, start)))
                existing = self._count_future(s, sender_id, phones=(phone_key,))
                if len(existing) >= limit:
                    views = [_view(b) for b in existing]
                    s.rollback()
                    raise TooManyBookings(limit, views)
                b = Booking(code=new_code(), sender_id=sender_id, channel=channel, user_id=user_id,
                            procedure=procedure, case=case, day=day, start_min=start,
                            minutes=cal.procedure_minutes(self.profile, procedure), seats=len(starts),
                            status="booked", name=name, phone=phone_key,
                            created_at=utc(self.now()), updated_at=utc(self.now()))
                s.add(b)
                s.flush()
                self._add_reminder(s, b)
                log.info("booking %s created: day=%s start=%s seats=%d", b.code, day, cal.hhmm(start), len(starts))
                return _view(b)

        return _retry(tx)

    def _add_reminder(self, s: Session, b: Booking) -> None:
        due = reminder_due(self.profile, b.day, self.now())
        if due > utc(self.now()):      # booked after reminder time: the confirmation said it all
            s.add(BookingNotice(booking_id=b.id, kind="reminder", due_at=due, state="pending",
                                created_at=utc(self.now())))

    def reschedule(self, sender_id: str, code: str, day: date, start: int) -> BookingView:
        """Move a booking (same code) to a new slot; the old seat is freed only if the new one is taken."""
        code_n = normalize_code(code) or ""
        with session_scope(self.db_url) as s:
            current = s.scalar(select(Booking).where(Booking.code == code_n, Booking.sender_id == sender_id,
                                                     Booking.status.in_(ACTIVE)))
            if current is None:
                raise BookingNotFound(code)
            procedure = current.procedure
        self._validate_slot(procedure, day, start)
        cap = self.profile.booking.capacity_per_slot
        new_starts = cal.covered(self.profile, start, procedure)

        def tx() -> BookingView:
            with session_scope(self.db_url) as s:
                ensure_slot_rows(s, day, new_starts)
                b = s.scalar(select(Booking).where(Booking.code == code_n, Booking.sender_id == sender_id,
                                                   Booking.status.in_(ACTIVE)).with_for_update())
                if b is None:
                    raise BookingNotFound(code)
                if b.status == "booked":
                    if b.day == day and b.start_min == start:
                        return _view(b)
                    release_seats(s, b.day, cal.covered(self.profile, b.start_min, procedure))
                if not take_seats(s, day, new_starts, cap):
                    s.rollback()
                    raise SlotFull(self.next_free(procedure, (day, start)))
                b.day, b.start_min, b.status = day, start, "booked"
                b.seats = len(new_starts)
                b.reschedules += 1
                b.confirmed_at = None
                b.updated_at = utc(self.now())
                cancel_pending_notices(s, b.id)
                self._add_reminder(s, b)
                log.info("booking %s rescheduled: day=%s start=%s", b.code, day, cal.hhmm(start))
                return _view(b)

        return _retry(tx)

    def cancel(self, sender_id: str, code: str) -> BookingView:
        """Cancel and free the seat; the name and phone number are deleted at once."""
        code_n = normalize_code(code) or ""

        def tx() -> BookingView:
            with session_scope(self.db_url) as s:
                b = s.scalar(select(Booking).where(Booking.code == code_n, Booking.sender_id == sender_id,
                                                   Booking.status.in_(ACTIVE)).with_for_update())
                if b is None:
                    raise BookingNotFound(code)
                if b.status == "booked":
                    release_seats(s, b.day, cal.covered(self.profile, b.start_min, b.procedure))
                b.status = "cancelled"
                b.cancelled_at = b.updated_at = utc(self.now())
                view = _view(b)
                b.name = b.phone = None
                cancel_pending_notices(s, b.id)
                log.info("booking %s cancelled", b.code)
                return view

        return _retry(tx)

    def confirm_attendance(self, sender_id: str, code: str) -> BookingView:
        code_n = normalize_code(code) or ""
        with session_scope(self.db_url) as s:
            b = s.scalar(select(Booking).where(Booking.code == code_n, Booking.sender_id == sender_id,
                                               Booking.status.in_(ACTIVE)))
            if b is None:
                raise BookingNotFound(code)
            b.confirmed_at = utc(self.now())
            return _view(b)

    def forget(self, sender_id: str) -> int:
        """Delete the resident's bookings (personal data request); future seats are freed."""
        with session_scope(self.db_url) as s:
            rows = s.scalars(select(Booking).where(Booking.sender_id == sender_id)).all()
            for b in rows:
                if b.status == "booked" and b.day >= self.now().date():
                    release_seats(s, b.day, cal.covered(self.profile, b.start_min, b.procedure))
            s.execute(delete(BookingNotice).where(BookingNotice.booking_id.in_([b.id for b in rows])))
            s.execute(delete(Booking).where(Booking.sender_id == sender_id))
            return len(rows)

    def purge_past(self) -> int:
        """Names and phone numbers are kept only until the appointment day is over."""
        with session_scope(self.db_url) as s:
            res = s.execute(update(Booking)
                            .where(Booking.day < self.now().date(),
                                   or_(Booking.name.is_not(None), Booking.phone.is_not(None)))
                            .values(name=None, phone=None)
                            .execution_options(synchronize_session=False))
            return res.rowcount or 0


def notice_data(**values) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)


__all__ = ["BookingService", "BookingView", "BookingError", "NotBookable", "SlotFull", "TooManyBookings",
           "BookingNotFound", "ensure_slot_rows", "take_seats", "release_seats", "utc"]
