"""Erase a resident's personal data on request ("xóa dữ liệu của tôi", Nghị định 13/2023/NĐ-CP).

One place that knows every table holding a resident's data, so a new feature that stores
something personal adds one line here (and a test in tests/test_privacy_erase.py):
- papers sent ahead: bytes and rows, consent records (hotich.uploads)
- appointments: names, phone numbers, reminders; future seats are freed (hotich.booking)
- question log (already redacted, but linked to the resident)
- messages relayed to/from the officer during a hand-off (the audit of who did what stays)
- messages queued while the assistant was down, and messages waiting to be sent to the resident
- the display name; QR scans stay as anonymous counts for the board statistics
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from hotich.db.models import QrScan, QuestionLog, Resident
from hotich.db.models.gateway import OutboundMessage, PendingMessage
from hotich.db.models.handoff import HandoffConversation, HandoffMessage
from hotich.db.session import session_scope
from hotich.questions import resident_id_for


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
        if rid is not None:
            s.execute(update(QrScan).where(QrScan.resident_id == rid).values(resident_id=None))
            s.execute(update(Resident).where(Resident.id == rid).values(display_name=None))
    return report


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
