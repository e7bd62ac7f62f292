"""The papers a resident is told to bring or send ahead are those of THEIR case, and the question
log tells the commune which questions the bot could not answer."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hotich.booking import dialogue as dlg
from hotich.booking import reminders as rem
from hotich.booking.clock import VN_TZ
from hotich.booking.dialogue import CONFIRM, DAY, NAME, PHONE, PROCEDURE, TIME
from hotich.config import ROOT
from hotich.db.models import Booking, QuestionLog
from hotich.db.session import session_scope
from hotich.kb import KnowledgeBase
from hotich.questions import log_question, unanswered
from hotich.questions_cli import cmd_unanswered
from hotich.uploads.service import UploadService
from hotich.uploads.storage import BlobStore, new_key
from tests.booking_helpers import profile, service

KB = KnowledgeBase.load(ROOT / "data" / "kb")
CHECKLIST = rem.checklist_from_kb(KB)
BIRTH_CERT = "Giấy chứng sinh (bản chính)"            # the ordinary case's paper
OLD_PAPERS = "Bản sao giấy khai sinh cũ"               # re-registration (dang_ky_lai) brings these


def labels(procedure, case):
    return [i.label for i in KB.case_checklist(procedure, case)]


def test_case_checklists_differ_where_the_cases_differ():
    assert BIRTH_CERT in labels("khai_sinh", "default")
    assert BIRTH_CERT not in labels("khai_sinh", "dang_ky_lai")
    assert any(lb.startswith(OLD_PAPERS) for lb in labels("khai_sinh", "dang_ky_lai"))
    # an unknown case (an old slot value) lists the ordinary papers rather than nothing
    assert CHECKLIST("khai_sinh", "khong_co") == labels("khai_sinh", "default")


def _book(db_url, case):
    svc = service(db_url)
    state = {**{s: None for s in dlg.ALL_SLOTS}, PROCEDURE: "khai_sinh", DAY: "2026-12-04", TIME: "09:00",
             NAME: "Nguyễn Văn An", PHONE: "0912345678", CONFIRM: "yes"}
    return dlg.submit(svc, state, "telegram:7", CHECKLIST("khai_sinh", case), case=case)


def test_booking_confirmation_and_reminder_list_the_papers_of_the_case(db_url):
    ok = _book(db_url, "dang_ky_lai")
    text = ok.messages[0].text
    assert "Mã lịch hẹn" in text and OLD_PAPERS in text and BIRTH_CERT not in text
    with session_scope(db_url) as s:
        assert s.scalar(select(Booking.case)) == "dang_ky_lai"
    sent = []
    due = datetime(2026, 12, 3, 17, 0, tzinfo=VN_TZ)
    assert rem.deliver_due(db_url, profile(), CHECKLIST, due, lambda c, u, m: sent.append(m) or True, "w") == 1
    assert OLD_PAPERS in sent[0].text and BIRTH_CERT not in sent[0].text
    # every optional paper of the other cases stays out
    others = set(i.label for i in KB.checklist("khai_sinh")) - set(labels("khai_sinh", "dang_ky_lai"))
    assert not any(f"• {lb}" in sent[0].text for lb in others)


def test_ordinary_booking_lists_the_ordinary_papers_only(db_url):
    text = _book(db_url, None).messages[0].text
    assert BIRTH_CERT in text and OLD_PAPERS not in text
    assert "Biên bản xác nhận việc trẻ bị bỏ rơi" not in text


def test_upload_checklist_is_that_of_the_case(db_url, tmp_path):
    svc = UploadService(db_url, BlobStore(tmp_path / "up", new_key()), KB, officer_ids={1})
    rid = svc.resident_for("telegram:9")
    svc.give_consent(rid)
    view = svc.start(rid, "khai_sinh", case="dang_ky_lai")
    asked = [st.item.label for st in svc.item_states(view)]
    assert asked == labels("khai_sinh", "dang_ky_lai") and BIRTH_CERT not in asked
    other = svc.resident_for("telegram:10")
    svc.give_consent(other)
    plain = [st.item.label for st in svc.item_states(svc.start(other, "khai_sinh"))]
    assert BIRTH_CERT in plain and not any(lb.startswith(OLD_PAPERS) for lb in plain)


def test_unanswered_questions_are_listed_with_counts(db_url, capsys):
    sender = "web:abcd1234"
    log_question(db_url, sender, "mẹ tôi mất ở nước ngoài, khai tử ở đâu", "describe_situation", "khai_tu", 1.0,
                 "none", route="retrieval", score=0.1)
    log_question(db_url, sender, "Mẹ tôi mất ở nước ngoài,  khai tử ở đâu", "describe_situation", "khai_tu", 1.0,
                 "none", route="retrieval", score=0.12)
    log_question(db_url, sender, "lệ phí kết hôn sđt 0912345678", "ask_fee", "ket_hon", 0.4, "answered",
                 route="nlu")
    log_question(db_url, sender, "khai sinh cần gì", "ask_documents", "khai_sinh", 0.97, "answered",
                 route="retrieval", entry_id="ks.giay_to_dung_han", score=0.8)
    log_question(db_url, sender, "giấy độc thân dùng bao lâu", "describe_situation", None, 1.0, "clarify",
                 route="retrieval", score=0.3)
    rows = unanswered(db_url, days=7)
    assert [r.count for r in rows] == [2, 1, 1]
    assert rows[0].outcomes == {"none": 2}
    assert all("0912345678" not in r.text for r in rows)                 # redacted
    assert not any("khai sinh cần gì" in r.text for r in rows)           # answered confidently
    with session_scope(db_url) as s:
        logged = s.scalars(select(QuestionLog).where(QuestionLog.entry_id.is_not(None))).one()
        assert (logged.route, logged.entry_id, logged.score) == ("retrieval", "ks.giay_to_dung_han", 0.8)
    old = unanswered(db_url, days=7, now=datetime.now(VN_TZ) + timedelta(days=30))
    assert old == []

    class Args:
        days = 7
        db = db_url
    assert cmd_unanswered(Args()) == 0
    out = capsys.readouterr().out
    assert "2 × mẹ tôi mất ở nước ngoài" in out.lower() and "không có câu trả lời ×2" in out
