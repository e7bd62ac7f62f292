"""Appointment booking (issue #4): bookings, per-slot seat counters, reminders/notices, closures.

Race guard: `booking_slots` holds one counter row per (day, base slot). A booking takes a seat
with `UPDATE booking_slots SET booked = booked + 1 WHERE … AND booked < capacity AND NOT closed`
in the same transaction as the booking insert, so two residents can never both get the last seat
(the row lock on PostgreSQL, the database write lock on SQLite).
Times are stored as UTC; `day` + `start_min` are the commune's local date and minutes.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from hotich.db.base import Base, utcnow


class BookingSlot(Base):
    __tablename__ = "booking_slots"
    __table_args__ = (UniqueConstraint("day", "start_min", name="uq_booking_slots_day_start"),
                      CheckConstraint("booked >= 0", name="booked_not_negative"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    start_min: Mapped[int] = mapped_column(Integer)          # minutes after midnight, local time
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_day_status", "day", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    sender_id: Mapped[str] = mapped_column(String(160), index=True)      # '<channel>:<user id>'
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    procedure: Mapped[str] = mapped_column(String(32))
    case: Mapped[str | None] = mapped_column(String(32))                 # KB sub-case: its papers are listed
    day: Mapped[date] = mapped_column(Date)
    start_min: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=1)               # base slots covered
    status: Mapped[str] = mapped_column(String(12), default="booked")    # booked | cancelled | displaced
    name: Mapped[str | None] = mapped_column(String(120))               # personal data: cleared after use
    phone: Mapped[str | None] = mapped_column(String(16))               # personal data: never logged
    reschedules: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # "vẫn đến"
    attendance: Mapped[str | None] = mapped_column(String(8))           # arrived | done | no_show (desk)
    attendance_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingNotice(Base):
    """A message the gateway must send once: the day-before reminder or a closure notice.

    state: pending → claimed (claimed_at, claimed_by) → sent. A claim older than the lease is
    taken over by the next sender (the previous one crashed before sending)."""

    __tablename__ = "booking_notices"
    __table_args__ = (Index("ix_booking_notices_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))                        # reminder | closure
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), default="pending")   # pending | claimed | sent | cancelled
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str | None] = mapped_column(Text)                       # JSON (e.g. the closed slot)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BookingClosure(Base):
    """An officer closed a day or one slot (officer away, office event)."""

    __tablename__ = "booking_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    start_min: Mapped[int | None] = mapped_column(Integer)              # None: the whole day
    reason: Mapped[str | None] = mapped_column(Text)
    officer_id: Mapped[str] = mapped_column(String(40))
    affected: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
