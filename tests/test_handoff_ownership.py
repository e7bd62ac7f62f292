"""Who owns a conversation (bot / waiting / officer / closed): atomic, audited, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from hotich.db.models import HandoffAudit, HandoffConversation, HandoffMessage
from hotich.db.session import get_engine
from hotich.handoff import audit, ownership, queue
from hotich.handoff.hours import OfficerHours
from hotich.commune import load_profile
from hotich.config import ROOT

OFFICER_A, OFFICER_B, OFFICER_C = 111, 222, 333


@pytest.fixture
def hdb(db_url):
    # No-op once 0006_handoff is in the migration chain; lets this run while the chain is assembled.
    tables = [m.__table__ for m in (HandoffConversation, HandoffAudit, HandoffMessage)]
    HandoffConversation.metadata.create_all(get_engine(db_url), tables=tables, checkfirst=True)
    return db_url


def test_resident_escalates_then_officer_takes_and_closes(hdb):
    assert ownership.owner_of(hdb, "telegram:1") == "bot"
    t = ownership.request(hdb, "telegram:1", "khai_sinh", "asked")
    assert t.ok and t.conversation.owner == "waiting" and t.conversation.ticket == 1
    assert ownership.owner_of(hdb, "telegram:1") == "waiting"

    t = ownership.take(hdb, t.conversation.id, OFFICER_A)
    assert t.ok and t.conversation.owner == "officer" and t.conversation.officer_id == OFFICER_A

    t = ownership.close(hdb, t.conversation.id, OFFICER_A)
    assert t.ok and t.conversation.owner == "closed"
    # the bot answers again; a new escalation is a new ticket
    t2 = ownership.request(hdb, "telegram:1", None, "fallback")
    assert t2.ok and t2.conversation.ticket == 2 and t2.conversation.officer_id is None


def test_illegal_transitions_are_refused(hdb):
    conv_id = ownership.request(hdb, "web:abcdefgh", "ket_hon").conversation.id
    # escalating twice does not reset the queue
    again = ownership.request(hdb, "web:abcdefgh", "ket_hon")
    assert not again.ok and again.refused == "already_waiting"

    assert ownership.take(hdb, conv_id, OFFICER_A).ok
    assert ownership.take(hdb, conv_id, OFFICER_A).refused == "already_yours"
    assert ownership.take(hdb, conv_id, OFFICER_B).refused == "taken"
    # another officer can neither close nor forward a chat that is not theirs
    assert ownership.close(hdb, conv_id, OFFICER_B).refused == "not_yours"
    assert ownership.forward(hdb, conv_id, OFFICER_B, OFFICER_C).refused == "not_yours"
    # the resident cannot cancel once an officer has the chat
    assert ownership.cancel(hdb, "web:abcdefgh").refused == "not_waiting"
    assert ownership.get_by_id(hdb, conv_id).officer_id == OFFICER_A

    assert ownership.close(hdb, conv_id, OFFICER_A).ok
    assert ownership.close(hdb, conv_id, OFFICER_A).refused == "not_open"
    assert ownership.take(hdb, conv_id, OFFICER_A).refused == "not_waiting"
    assert ownership.cancel(hdb, "web:unknown1").refused == "unknown"


def test_forward_and_cancel(hdb):
    conv_id = ownership.request(hdb, "telegram:5", "chung_thuc").conversation.id
    assert ownership.take(hdb, conv_id, OFFICER_A).ok
    t = ownership.forward(hdb, conv_id, OFFICER_A, OFFICER_B)
    assert t.ok and t.conversation.officer_id == OFFICER_B
    assert ownership.close(hdb, conv_id, OFFICER_A).refused == "not_yours"
    assert ownership.close(hdb, conv_id, OFFICER_B).ok

    ownership.request(hdb, "telegram:6")
    t = ownership.cancel(hdb, "telegram:6")
    assert t.ok and t.conversation.owner == "bot"


@pytest.mark.parametrize("officers", [2, 6])
def test_concurrent_takes_have_exactly_one_winner(hdb, officers):
    conv_ids = [ownership.request(hdb, f"telegram:{100 + i}").conversation.id for i in range(5)]
    for conv_id in conv_ids:
        barrier = threading.Barrier(officers)
        results: dict[int, ownership.Transition] = {}

        def attempt(officer: int) -> None:
            barrier.wait()
            results[officer] = ownership.take(hdb, conv_id, officer)

        threads = [threading.Thread(target=attempt, args=(1000 + k,)) for k in range(officers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        winners = [o for o, r in results.items() if r.ok]
        assert len(results) == officers and len(winners) == 1
        conv = ownership.get_by_id(hdb, conv_id)
        assert conv.owner == "officer" and conv.officer_id == winners[0]
        assert all(r.refused == "taken" for o, r in results.items() if o != winners[0])
        takes = [e for e in audit.history(hdb, conv_id) if e.action == "take"]
        assert [e.officer_id for e in takes] == winners


def test_audit_says_who_did_what_and_when(hdb):
    conv_id = ownership.request(hdb, "telegram:7", "khai_tu", "confirm").conversation.id
    ownership.take(hdb, conv_id, OFFICER_A)
    audit.record_message(hdb, conv_id, "resident", "Chào chị", "text")
    audit.record_message(hdb, conv_id, "officer", "Chào anh", "text", officer_id=OFFICER_A)
    ownership.forward(hdb, conv_id, OFFICER_A, OFFICER_B)
    audit.record_message(hdb, conv_id, "officer", None, "photo", officer_id=OFFICER_B)
    ownership.close(hdb, conv_id, OFFICER_B)

    entries = audit.history(hdb, conv_id)
    assert [(e.action, e.officer_id) for e in entries] == [
        ("request", None), ("take", OFFICER_A), ("answer", OFFICER_A), ("forward", OFFICER_A),
        ("answer", OFFICER_B), ("close", OFFICER_B)]
    assert entries[0].detail == "confirm" and entries[3].target_officer_id == OFFICER_B
    assert all(e.ticket == 1 for e in entries)
    assert all(e.at is not None for e in entries)
    assert entries[0].at <= entries[-1].at
    kept = audit.messages(hdb, conv_id)
    assert [(m.direction, m.kind) for m in kept] == [("resident", "text"), ("officer", "text"), ("officer", "photo")]


def test_queue_position_and_wait(hdb):
    profile = load_profile(ROOT / "data" / "commune" / "song_phuong.yml")
    # Tuesday 01/12/2026 09:00 in Hà Nội: open
    now = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    hours = OfficerHours.from_profile(profile, clock=lambda: now)
    ids = [ownership.request(hdb, f"web:queue000{i}", now=now + timedelta(seconds=i)).conversation.id
           for i in range(3)]
    assert [queue.position(hdb, i) for i in ids] == [1, 2, 3]
    st = queue.status(hdb, ids[2], hours)
    assert st.position == 3 and st.open_now
    assert st.eta == now + 2 * queue.DEFAULT_HANDLE
    assert "vị trí số 3" in queue.wait_text(st, hours) and "20 phút" in queue.wait_text(st, hours)

    ownership.take(hdb, ids[0], OFFICER_A)
    assert queue.position(hdb, ids[0]) is None
    assert queue.position(hdb, ids[2]) == 2

    # Saturday 17:00: next answer on Monday morning
    late = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
    hours_late = OfficerHours.from_profile(profile, clock=lambda: late)
    st = queue.status(hdb, ids[1], hours_late)
    assert not st.open_now
    text = queue.wait_text(st, hours_late)
    assert "ngoài giờ làm việc" in text and "08:00 Thứ Hai, 07/12" in text and "để lại lời nhắn" in text


def test_topic_context_shows_appointment_and_papers(hdb):
    from datetime import date

    from hotich.db.models import Resident
    from hotich.db.models.booking import Booking
    from hotich.db.models.uploads import UploadFile, UploadSubmission
    from hotich.db.session import session_scope
    from hotich.handoff.context import Turn, extra_lines, header

    with session_scope(hdb) as s:
        r = Resident(channel="telegram", channel_user_id="77", display_name="Lê Văn C")
        s.add(r)
        s.flush()
        s.add(Booking(code="KS7Q2", sender_id="telegram:77", channel="telegram", user_id="77", procedure="khai_sinh",
                      day=date(2099, 12, 1), start_min=9 * 60, minutes=30))
        sub = UploadSubmission(public_id="HS123", resident_id=r.id, procedure="khai_sinh", status="submitted",
                               purge_after=datetime(2099, 1, 1, tzinfo=timezone.utc))
        sub.files.append(UploadFile(public_id="F1", blob_name="b1", sha256="0" * 64, size=10, kind="jpeg"))
        s.add(sub)
        resident_id = r.id
    lines = extra_lines(hdb, "telegram:77", resident_id)
    assert any("KS7Q2" in x and "09:00" in x and "01/12/2099" in x for x in lines), lines
    assert any("HS123" in x and "1 tệp" in x for x in lines), lines
    text = header(name="Lê Văn C", channel="telegram", procedure="khai_sinh", reason="confirm",
                  turns=[Turn("resident", "x" * 1000), Turn("bot", "ok")], extras=lines)
    assert "câu trả lời cần xác nhận với cán bộ" in text and "KS7Q2" in text
    assert "x" * 400 + "…" in text and "x" * 401 not in text
