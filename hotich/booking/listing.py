"""Appointments as the officer's desk lists them (with name and phone: officers only), and the
attendance marks the officer sets when the resident comes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from hotich import procedures
from hotich.booking import calendar as cal
from hotich.db.base import utcnow
from hotich.db.models import Booking
from hotich.db.session import session_scope

ATTENDANCE = {"arrived": "Đã đến", "done": "Đã giải quyết", "no_show": "Không đến"}


@dataclass(frozen=True)
class DeskAppointment:
    code: str
    day: date
    start: str
    end: str
    procedure: str
    procedure_name: str
    name: str | None
    phone: str | None
    channel: str
    confirmed: bool
    attendance: str | None

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE.get(self.attendance or "", "Chưa đến")


def appointments_between(db_url: str, first: date, last: date) -> list[DeskAppointment]:
    """Booked appointments from `first` to `last` (inclusive), in time order."""
    with session_scope(db_url) as s:
        rows = s.scalars(select(Booking).where(Booking.day >= first, Booking.day <= last, Booking.status == "booked")
                         .order_by(Booking.day, Booking.start_min, Booking.id))
        out = []
        for b in rows:
            p = procedures.get(b.procedure)
            out.append(DeskAppointment(b.code, b.day, cal.hhmm(b.start_min), cal.hhmm(b.start_min + b.minutes),
                                       b.procedure, p.name if p else b.procedure, b.name, b.phone, b.channel,
                                       b.confirmed_at is not None, b.attendance))
        return out


def mark_attendance(db_url: str, code: str, value: str) -> bool:
    """Set arrived / done / no_show on a booked appointment; False when there is no such booking."""
    if value not in ATTENDANCE:
        raise ValueError(value)
    with session_scope(db_url) as s:
        res = s.execute(update(Booking).where(Booking.code == code, Booking.status == "booked")
                        .values(attendance=value, attendance_at=utcnow()))
        return res.rowcount == 1
