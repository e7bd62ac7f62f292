"""Erase a resident's personal data on request ("xóa dữ liệu của tôi", Nghị định 13/2023/NĐ-CP).

One place that knows every table holding a resident's data, so a new feature that stores
something personal adds one line here (and a test in tests/test_privacy_erase.py):
- papers sent ahead: bytes and rows, consent records (hotich.uploads)
- appointments: names, phone numbers, reminders; future seats are freed (hotich.booking)
- question log (already redacted, but linked to the resident)
- messages relayed to/from the officer during a hand-off (the audit of who did what stays)
- messages queued while the assistant was down, and messages waiting to be sent to the resident
- the numbered choices last shown to a Zalo resident (they may name an appointment or a file)
- the resident row itself; QR scans stay as anonymous counts for the board statistics; the
  hand-off conversation row keeps its audit trail but no longer names the conversation
- Rasa's copy of the conversation (tracker store): requested here, deleted by the gateway once
  the erasing turn is over (hotich.db.models.security, bot/erasure.py)
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from hotich.db.base import utcnow
from hotich.db.models import QrScan, QuestionLog, Resident, TrackerErasure
from hotich.db.models.gateway import OutboundMessage, PendingMessage
from hotich.db.models.handoff import HandoffConversation, HandoffMessage
from hotich.db.models.zalo import ZaloChoice
from hotich.db.session import session_scope
from hotich import identity
from hotich.identity import resident_id_for


@dataclass
class ErasureReport:
    files: int = 0
    submissions: int = 0
    bookings: int = 0
    questions: int = 0
    officer_messages: int = 0
    queued: int = 0

    @property
    def total(self) -> int:
        return self.files + self.submissions + self.bookings + self.questions + self.officer_messages + self.queued


def _handoff_messages(sender_id: str):
    return select(HandoffMessage.id).join(HandoffConversation,
                                          HandoffMessage.conversation_id == HandoffConversation.id
                                          ).where(HandoffConversation.sender_id == sender_id)


def count_personal_data(db_url: str, sender_id: str, uploads=None, bookings=None) -> ErasureReport:
    """What erase_resident_data would delete, for the confirmation question."""
    report = ErasureReport()
    with session_scope(db_url) as s:
        rid = resident_id_for(s, sender_id)
        report.questions = s.scalar(select(func.count()).select_from(QuestionLog)
                                    .where(QuestionLog.sender_id == sender_id)) or 0
        report.officer_messages = s.scalar(select(func.count()).select_from(_handoff_messages(sender_id).subquery())) or 0
        report.queued = (s.scalar(select(func.count()).select_from(PendingMessage)
                                  .where(PendingMessage.sender_id == sender_id)) or 0) + (
            s.scalar(select(func.count()).select_from(OutboundMessage)
                     .where(OutboundMessage.sender_id == sender_id, OutboundMessage.messages.is_not(None))) or 0)
    if uploads is not None and rid is not None:
        report.submissions, report.files, _ = uploads.summary(rid)
    if bookings is not None:
        report.bookings = len(bookings.list_for(sender_id, include_past=True))
    return report


def erase_resident_data(db_url: str, sender_id: str, uploads=None, bookings=None) -> ErasureReport:
    """Delete everything personal held for this conversation id ('<channel>:<user id>')."""
    report = ErasureReport()
    with session_scope(db_url) as s:
        rid = resident_id_for(s, sender_id)
    if uploads is not None and rid is not None:
        purged = uploads.delete_all_for_resident(rid)
        report.files, report.submissions = purged.files, purged.submissions
    if bookings is not None:
        report.bookings = bookings.forget(sender_id)
    with session_scope(db_url) as s:
        report.questions = s.execute(delete(QuestionLog).where(QuestionLog.sender_id == sender_id)).rowcount or 0
        ids = list(s.scalars(_handoff_messages(sender_id)))
        if ids:
            report.officer_messages = s.execute(delete(HandoffMessage).where(HandoffMessage.id.in_(ids))).rowcount or 0
        report.queued = s.execute(delete(PendingMessage).where(PendingMessage.sender_id == sender_id)).rowcount or 0
        report.queued += s.execute(delete(OutboundMessage).where(OutboundMessage.sender_id == sender_id,
                                                                 OutboundMessage.messages.is_not(None))).rowcount or 0
        s.execute(delete(ZaloChoice).where(ZaloChoice.sender_id == sender_id))
        conv_ids = list(s.scalars(select(HandoffConversation.id).where(HandoffConversation.sender_id == sender_id)))
        for conv_id in conv_ids:   # the audit stays, attached to a conversation that names nobody
            s.execute(update(HandoffConversation).where(HandoffConversation.id == conv_id)
                      .values(sender_id=f"erased:{conv_id}", user_id="", resident_id=None))
        if rid is not None:
            s.execute(update(QrScan).where(QrScan.resident_id == rid).values(resident_id=None))
            s.execute(delete(Resident).where(Resident.id == rid))
        request_tracker_erasure(s, sender_id)
    return report


def request_tracker_erasure(session, sender_id: str) -> None:
    """Ask the gateway to delete Rasa's copy of the conversation after the current turn."""
    if session.scalar(select(TrackerErasure.id).where(TrackerErasure.sender_id == sender_id)) is None:
        session.add(TrackerErasure(sender_id=sender_id, requested_at=utcnow()))
    else:
        session.execute(update(TrackerErasure).where(TrackerErasure.sender_id == sender_id)
                        .values(requested_at=utcnow(), erased_at=None))


def purge_idle_residents(db_url: str, older_than_days: int, now=None) -> int:
    """Retention for the resident rows: not seen for `older_than_days` and nothing left that
    needs them (no papers, no appointment to come, no chat with an officer)."""
    from datetime import datetime, timedelta, timezone

    from hotich.db.models.booking import Booking
    from hotich.db.models.uploads import UploadSubmission

    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=older_than_days)
    with session_scope(db_url) as s:
        idle = list(s.execute(select(Resident.id, Resident.channel, Resident.channel_user_id)
                              .where(Resident.last_seen_at < cutoff)).all())
        gone = 0
        for rid, channel, user_id in idle:
            sender = identity.sender_id(channel, user_id)
            busy = (s.scalar(select(UploadSubmission.id).where(UploadSubmission.resident_id == rid).limit(1))
                    or s.scalar(select(Booking.id).where(Booking.sender_id == sender, Booking.day >= now.date(),
                                                         Booking.status == "booked").limit(1))
                    or s.scalar(select(HandoffConversation.id).where(HandoffConversation.sender_id == sender,
                                                                     HandoffConversation.owner.in_(("waiting", "officer")))
                                .limit(1)))
            if busy:
                continue
            s.execute(update(QrScan).where(QrScan.resident_id == rid).values(resident_id=None))
            s.execute(update(QuestionLog).where(QuestionLog.resident_id == rid).values(resident_id=None))
            s.execute(delete(Resident).where(Resident.id == rid))
            gone += 1
        return gone


def purge_old_handoff_messages(db_url: str, older_than_days: int, now=None) -> int:
    """Retention for officer chats: messages of conversations handed back (not open) more than
    `older_than_days` ago are deleted; the audit trail of who did what stays."""
    from datetime import datetime, timedelta, timezone

    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    with session_scope(db_url) as s:
        closed_ids = select(HandoffConversation.id).where(HandoffConversation.owner.in_(("bot", "closed")))
        return s.execute(delete(HandoffMessage).where(HandoffMessage.created_at < cutoff,
                                                      HandoffMessage.conversation_id.in_(closed_ids))
                         ).rowcount or 0
