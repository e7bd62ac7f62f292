"""Personal data never reaches the question log; deep-link payloads parse strictly."""
import pytest
from sqlalchemy import select

from hotich.db.models import QuestionLog, Resident
from hotich.db.session import session_scope
from hotich.deeplink import DeepLink, make_payload, parse_payload
from hotich.privacy.redact import redact
from hotich.questions import log_question


def test_phone_id_and_email_are_redacted():
    out = redact("sđt em 0912 345 678, cccd 001203004567, mail a.b@gmail.com, +84 987654321")
    assert "0912" not in out and "001203004567" not in out and "gmail" not in out and "987654321" not in out
    assert "[sđt]" in out and "[số giấy tờ]" in out and "[email]" in out


@pytest.mark.parametrize("payload,expected", [
    ("kh_TT01", DeepLink("ket_hon", "TT01")),
    ("ks", DeepLink("khai_sinh", None)),
    ("all_SP01", DeepLink(None, "SP01")),
])
def test_board_payloads_parse(payload, expected):
    assert parse_payload(payload) == expected
    assert parse_payload(make_payload(expected.procedure, expected.board)) == expected


@pytest.mark.parametrize("payload", ["", "zz_TT01", "kh_TT 01", "kh_" + "A" * 17, "x" * 65, "kh_TT01_extra", "<script>"])
def test_malformed_payloads_are_not_ours(payload):
    assert parse_payload(payload) is None


def test_question_log_stores_redacted_text_linked_to_the_resident(db_url):
    with session_scope(db_url) as s:
        s.add(Resident(channel="web", channel_user_id="abc12345"))
    log_question(db_url, "web:abc12345", "khai sinh cho con, sđt 0912345678", "ask_documents", "khai_sinh", 0.97, "answered")
    log_question(db_url, "web:abc12345", '/ask_fee{"procedure":"khai_sinh"}', "ask_fee", "khai_sinh", 1.0, "answered")
    with session_scope(db_url) as s:
        rows = s.scalars(select(QuestionLog)).all()
        assert len(rows) == 1                       # button presses are not questions
        assert "0912345678" not in rows[0].text_redacted
        assert rows[0].resident_id is not None and rows[0].intent == "ask_documents"


@pytest.mark.parametrize("text,secret,tag", [
    ("anh gọi em số (+84) 912-345-678 nhé", "912", "[sđt]"),
    ("sđt: (84) 0912.345.678", "345", "[sđt]"),
    ("cccd của em là 001 203 004 567 ạ", "004", "[số giấy tờ]"),
    ("số căn cước 001.203.004.567", "004", "[số giấy tờ]"),
    ("mail em là ten (at) gmail [dot] com", "gmail", "[email]"),
    ("gửi vào nguyen.van.a [at] yahoo (dot) com (dot) vn giúp em", "yahoo", "[email]"),
    ("email: lan a còng gmail chấm com", "gmail", "[email]"),
])
def test_obfuscated_phone_id_and_email_are_redacted(text, secret, tag):
    out = redact(text)
    assert secret not in out and tag in out, out


def test_redaction_keeps_dates_and_fees():
    assert redact("sinh ngày 12/05/2024, lệ phí 50.000 đồng") == "sinh ngày 12/05/2024, lệ phí 50.000 đồng"
