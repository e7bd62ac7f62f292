"""Reminders the day before, and closure notices: stored in the DB, each sent exactly once.

Claim-then-send: a sender takes a due notice with

    UPDATE booking_notices SET state='claimed', claimed_at=:now, claimed_by=:me, attempts=attempts+1
     WHERE id=:id AND (state='pending' OR (state='claimed' AND claimed_at < :now - lease))

Only one sender's UPDATE matches (row lock / SQLite write lock), so two gateways never both send
it. The winner sends, then marks it `sent` (only if it still holds the claim). A gateway that
crashes after claiming leaves a stale claim; after the lease another sender takes it over and
sends it — the resident gets it once. (The remaining window — crash after the channel accepted
the message but before `sent` was written — cannot be closed without an idempotent channel API.)
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import and_, or_, select, update

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload
from hotich.booking import calendar as cal
from hotich.booking.clock import fixed_clock, local
from hotich.booking.dates import day_label
from hotich.booking.replies import procedure_name, slot_list
from hotich.booking.service import BookingService, utc
from hotich.commune import CommuneProfile
from hotich.db.models.booking import Booking, BookingNotice
from hotich.db.session import session_scope

log = logging.getLogger(__name__)
# (procedure, case) → labels of the papers to bring.
ChecklistFor = Callable[[str, str | None], list[str]]
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6


@dataclass
class Notice:
    id: int
    kind: str
    channel: str
    user_id: str
    message: ReplyMessage


def _utc_naive_safe(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def due_ids(db_url: str, now: datetime, limit: int = 100, lease: timedelta = LEASE) -> list[int]:
    now_u = utc(now)
    with session_scope(db_url) as s:
        return list(s.scalars(
            select(BookingNotice.id)
            .where(BookingNotice.due_at <= now_u,
                   or_(BookingNotice.state == "pending",
                       and_(BookingNotice.state == "claimed", BookingNotice.claimed_at < now_u - lease)))
            .order_by(BookingNotice.due_at, BookingNotice.id).limit(limit)))


def claim(db_url: str, notice_id: int, worker: str, now: datetime, lease: timedelta = LEASE) -> bool:
    now_u = utc(now)
    with session_scope(db_url) as s:
        res = s.execute(update(BookingNotice)
                        .where(BookingNotice.id == notice_id, BookingNotice.due_at <= now_u,
                               or_(BookingNotice.state == "pending",
                                   and_(BookingNotice.state == "claimed", BookingNotice.claimed_at < now_u - lease)))
                        .values(state="claimed", claimed_at=now_u, claimed_by=worker,
                                attempts=BookingNotice.attempts + 1)
                        .execution_options(synchronize_session=False))
        return res.rowcount == 1


def mark_sent(db_url: str, notice_id: int, worker: str, now: datetime) -> bool:
    with session_scope(db_url) as s:
        res = s.execute(update(BookingNotice)
                        .where(BookingNotice.id == notice_id, BookingNotice.state == "claimed",
                               BookingNotice.claimed_by == worker)
                        .values(state="sent", sent_at=utc(now))
                        .execution_options(synchronize_session=False))
        return res.rowcount == 1


def mark_obsolete(db_url: str, notice_id: int, worker: str) -> None:
    with session_scope(db_url) as s:
        s.execute(update(BookingNotice)
                  .where(BookingNotice.id == notice_id, BookingNotice.claimed_by == worker)
                  .values(state="cancelled").execution_options(synchronize_session=False))


def release(db_url: str, notice_id: int, worker: str) -> None:
    """Sending failed (network, channel not connected): try again later, up to MAX_ATTEMPTS."""
    with session_scope(db_url) as s:
        n = s.get(BookingNotice, notice_id)
        if n is None or n.claimed_by != worker or n.state != "claimed":
            return
        n.state = "failed" if n.attempts >= MAX_ATTEMPTS else "pending"
        n.claimed_by = None


# ---------------------------------------------------------------------------- content

def reminder_message(profile: CommuneProfile, b: Booking, checklist: list[str]) -> ReplyMessage:
    lines = [f"🔔 Nhắc lịch hẹn: ngày mai, {day_label(b.day)}, lúc {cal.hhmm(b.start_min)} bạn có lịch "
             f"{procedure_name(b.procedure).lower()} tại {profile.address}.",
             f"Mã lịch hẹn: {b.code}"]
    if checklist:
        lines.append("Giấy tờ cần mang:\n" + "\n".join(f"• {c}" for c in checklist))
    lines.append("Bạn vẫn đến được chứ?")
    return ReplyMessage("\n".join(lines), [
        ReplyButton("✅ Vẫn đến", intent_payload("check_appointment", booking_code=b.code)),
        ReplyButton("🗓 Đổi lịch", intent_payload("reschedule_appointment", booking_code=b.code)),
        ReplyButton("❌ Hủy lịch", intent_payload("cancel_appointment", booking_code=b.code)),
    ])


def closure_message(profile: CommuneProfile, b: Booking, data: dict, offers: list[cal.Slot]) -> ReplyMessage:
    day = datetime.fromisoformat(data["day"]).date()
    when = day_label(day) + (f" lúc {data['start']}" if data.get("start") else "")
    reason = f" ({data['reason']})" if data.get("reason") else ""
    text = (f"⚠️ Xã thông báo: {when} Trung tâm Phục vụ hành chính công tạm ngưng tiếp nhận{reason}. "
            f"Lịch hẹn {b.code} ({procedure_name(b.procedure).lower()}, {data['old']}) của bạn cần đổi sang giờ khác; "
            "mã lịch hẹn giữ nguyên. Xin lỗi bạn vì sự bất tiện này.")
    if offers:
        text += f"\nCác giờ còn trống gần nhất: {slot_list(offers)}."
    return ReplyMessage(text, [
        ReplyButton("🗓 Chọn giờ mới", intent_payload("reschedule_appointment", booking_code=b.code)),
        ReplyButton("❌ Hủy lịch", intent_payload("cancel_appointment", booking_code=b.code)),
    ])


def build(db_url: str, notice_id: int, profile: CommuneProfile, checklist_for: ChecklistFor,
          now: datetime) -> Notice | None:
    """The message for a claimed notice, or None when it no longer applies (booking moved/cancelled)."""
    with session_scope(db_url) as s:
        n = s.get(BookingNotice, notice_id)
        b = s.get(Booking, n.booking_id) if n else None
        if n is None or b is None:
            return None
        if n.kind == "reminder":
            if b.status != "booked" or local(now).date() >= b.day:
                return None
            msg = reminder_message(profile, b, checklist_for(b.procedure, b.case))
        else:
            if b.status != "displaced":
                return None       # already rescheduled or cancelled before we got to tell them
            data = json.loads(n.data or "{}")
            svc = BookingService(db_url, profile, fixed_clock(local(now)))
            msg = closure_message(profile, b, data, svc.next_free(b.procedure, limit=3))
        return Notice(n.id, n.kind, b.channel, b.user_id, msg)


def deliver_due(db_url: str, profile: CommuneProfile, checklist_for: ChecklistFor, now: datetime,
                send: Callable[[str, str, ReplyMessage], bool | None], worker: str,
                lease: timedelta = LEASE) -> int:
    """Synchronous sender (tests, scripts). `send` returns False/raises when it could not deliver."""
    sent = 0
    for nid in due_ids(db_url, now, lease=lease):
        if not claim(db_url, nid, worker, now, lease):
            continue
        notice = build(db_url, nid, profile, checklist_for, now)
        if notice is None:
            mark_obsolete(db_url, nid, worker)
            continue
        try:
            ok = send(notice.channel, notice.user_id, notice.message)
        except Exception:
            log.exception("notice %d: send failed", nid)
            ok = False
        if ok is False:
            release(db_url, nid, worker)
            continue
        if mark_sent(db_url, nid, worker, now):
            sent += 1
    return sent


def checklist_from_kb(kb) -> ChecklistFor:
    """Labels of the papers of the booking's case (never the optional papers of other cases);
    an unknown or missing case lists the ordinary case's papers."""
    def get(procedure: str, case: str | None = None) -> list[str]:
        try:
            known = case in kb.get(procedure).cases
            return [c.label for c in kb.case_checklist(procedure, case if known else None)]
        except Exception:   # a reminder still goes out, without the list, if the KB lacks the procedure
            return []
    return get
