""""Xóa dữ liệu của tôi" erases a resident's personal data across every feature, and nobody else's."""
from __future__ import annotations

from datetime import datetime, timezone

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.config import ROOT
from hotich.db.models import QrScan, QuestionLog, Resident
from hotich.db.models.gateway import PendingMessage
from hotich.db.models.handoff import HandoffConversation, HandoffMessage
from hotich.db.session import session_scope
from hotich.kb import KnowledgeBase
from hotich.privacy.erase import count_personal_data, erase_resident_data
from hotich.questions import log_question
from hotich.uploads.flow import delete_turn
from hotich.uploads.service import UploadService
from hotich.uploads.storage import BlobStore
from tests.uploads_samples import tiny_pdf

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)   # Tuesday 08:00 in Hà Nội


def _seed(db_url: str, sender: str, svc: UploadService, booking: BookingService) -> None:
    channel, _, uid = sender.partition(":")
    with session_scope(db_url) as s:
        s.add(Resident(channel=channel, channel_user_id=uid, display_name="Nguyễn Văn A"))
    rid = svc.resident_for(sender)
    with session_scope(db_url) as s:
        s.add(QrScan(resident_id=rid, channel=channel, board_code="TT01", procedure="ket_hon"))
        conv = HandoffConversation(sender_id=sender, resident_id=rid, channel=channel, user_id=uid)
        s.add(conv)
        s.flush()
        s.add(HandoffMessage(conversation_id=conv.id, ticket=1, direction="resident", text="số em 0912345678"))
        s.add(PendingMessage(sender_id=sender, channel=channel, user_id=uid, text="khai sinh?"))
    log_question(db_url, sender, "khai sinh cần gì", "ask_documents", "khai_sinh", 0.9, "answered")
    svc.give_consent(rid)
    svc.start(rid, "khai_sinh")
    svc.add_file(rid, tiny_pdf())
    day = booking.free_days("khai_sinh")[0][0]
    booking.book(sender, "khai_sinh", day, booking.free_slots("khai_sinh", day)[0].start, "Nguyễn Văn A", "0912345678")


def test_erasure_covers_every_feature_and_spares_other_residents(db_url, tmp_path):
    kb = KnowledgeBase.load(ROOT / "data" / "kb")
    svc = UploadService(db_url, BlobStore(tmp_path / "uploads", Fernet.generate_key().decode()), kb)
    booking = BookingService(db_url, load_profile(ROOT / "data" / "commune" / "song_phuong.yml"), lambda: NOW)
    _seed(db_url, "web:alice-0001", svc, booking)
    _seed(db_url, "web:bob-000002", svc, booking)

    held = count_personal_data(db_url, "web:alice-0001", svc, booking)
    assert (held.files, held.submissions, held.bookings, held.questions, held.officer_messages, held.queued) == (1, 1, 1, 1, 1, 1)
    question = delete_turn(svc, "web:alice-0001", None, bookings=booking)
    assert "1 lịch hẹn" in question.messages[0].text and "1 tệp" in question.messages[0].text
    done = delete_turn(svc, "web:alice-0001", "yes", bookings=booking)
    assert "Đã xóa toàn bộ" in done.messages[0].text

    assert count_personal_data(db_url, "web:alice-0001", svc, booking).total == 0
    assert booking.list_for("web:alice-0001", include_past=True) == []
    with session_scope(db_url) as s:
        # her resident row itself is gone (a later message starts a new, empty one)
        assert s.scalar(select(Resident).where(Resident.channel_user_id == "alice-0001")) is None
        # the scan still counts for the board, but no longer points at her
        assert s.scalar(select(func.count()).select_from(QrScan).where(QrScan.resident_id.is_(None))) == 1
        assert s.scalar(select(func.count()).select_from(QuestionLog)) == 1               # Bob's
        assert s.scalar(select(func.count()).select_from(HandoffMessage)) == 1            # Bob's
        assert s.scalar(select(func.count()).select_from(PendingMessage)) == 1            # Bob's
    bob = count_personal_data(db_url, "web:bob-000002", svc, booking)
    assert (bob.files, bob.bookings) == (1, 1)


def test_officer_chat_messages_expire_after_the_retention_period(db_url):
    from datetime import timedelta

    from hotich.privacy.erase import purge_old_handoff_messages

    with session_scope(db_url) as s:
        done = HandoffConversation(sender_id="web:old-chat1", channel="web", user_id="old-chat1", owner="bot")
        live = HandoffConversation(sender_id="web:live-chat", channel="web", user_id="live-chat", owner="officer")
        s.add_all([done, live])
        s.flush()
        old = NOW - timedelta(days=40)
        s.add_all([HandoffMessage(conversation_id=done.id, ticket=1, direction="resident", text="cũ", created_at=old),
                   HandoffMessage(conversation_id=done.id, ticket=1, direction="officer", text="mới", created_at=NOW),
                   HandoffMessage(conversation_id=live.id, ticket=1, direction="resident", text="đang chat", created_at=old)])
    assert purge_old_handoff_messages(db_url, 30, now=NOW) == 1
    with session_scope(db_url) as s:
        assert sorted(s.scalars(select(HandoffMessage.text))) == ["mới", "đang chat"]


def test_erasure_covers_what_waits_for_a_zalo_resident_and_their_choices(db_url):
    from bot.delivery import queue_in
    from bot.messages import OutgoingMessage
    from bot.zalo.common import ChoiceMemory
    from hotich.db.models import OutboundMessage, ZaloChoice
    from hotich.identity import Address

    for who in ("zalo_oa:anna", "zalo_oa:binh"):
        with session_scope(db_url) as s:
            queue_in(s, Address(*who.split(":")), "review", [OutgoingMessage("Hồ sơ của anh/chị cần bổ sung")])
        ChoiceMemory(db_url).remember(who, ['/cancel_appointment{"booking_code":"AB12CD"}'])
    assert count_personal_data(db_url, "zalo_oa:anna").queued == 1
    assert erase_resident_data(db_url, "zalo_oa:anna").queued == 1
    with session_scope(db_url) as s:
        assert s.scalars(select(OutboundMessage.sender_id)).all() == ["zalo_oa:binh"]
        assert s.scalars(select(ZaloChoice.sender_id)).all() == ["zalo_oa:binh"]
