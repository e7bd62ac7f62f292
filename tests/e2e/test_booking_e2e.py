"""Booking through the real trained stack (web chat API → gateway → Rasa → actions → DB).

The actions server uses the wall clock, so expected days are computed with the same calendar.
"""
from __future__ import annotations

import json
import re
import urllib.request
import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import select

from hotich.booking.clock import system_clock
from hotich.booking.dates import day_label, parse_when
from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.config import load_settings
from hotich.db.models.booking import Booking
from hotich.db.session import session_scope
from tests.e2e.conftest import phone_for, spaced

pytestmark = pytest.mark.e2e
CODE_RE = re.compile(r"Mã lịch hẹn: ([A-Z0-9]{6})")


def texts(body: dict) -> str:
    return "\n".join(m.get("text", "") for m in body.get("messages", []))


def buttons(body: dict) -> list[dict]:
    return [b for m in body.get("messages", []) for b in m.get("buttons", [])]


def say(chat, stack, sid, text=None, payload=None) -> dict:
    status, body = chat(stack, sid, text, payload=payload) if text is not None else chat(stack, sid, payload=payload)
    assert status == 200, body
    assert body.get("messages"), f"no reply to {text or payload!r}"
    return body


def press(chat, stack, sid, body, predicate=lambda b: True) -> dict:
    chosen = next(b for b in buttons(body) if predicate(b))
    return say(chat, stack, sid, payload=chosen["payload"])


def rasa_turn(stack, sender: str, message: str) -> list[dict]:
    """One message straight to Rasa's REST channel, with its token, as the gateway sends it."""
    req = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook?token={quote(stack.rasa_token, safe='')}",
                                 data=json.dumps({"sender": sender, "message": message}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def bookings(stack, sid):
    with session_scope(stack.db_url) as s:
        return list(s.scalars(select(Booking).where(Booking.sender_id == f"web:{sid}").order_by(Booking.id)))


def finish_with_name_phone_and_confirm(chat, stack, sid, body) -> tuple[str, dict]:
    assert "họ và tên" in texts(body)
    body = say(chat, stack, sid, "Nguyễn Văn An")
    assert "điện thoại" in texts(body).lower()
    body = say(chat, stack, sid, "0912 34 56")                       # too short
    assert "chưa đúng" in texts(body)
    body = say(chat, stack, sid, spaced(phone_for(sid)))
    summary = texts(body)
    assert "Số điện thoại chỉ dùng để xã liên hệ về lịch hẹn này" in summary and "Nguyễn Văn An" in summary
    assert phone_for(sid) not in summary                            # echoed masked
    body = press(chat, stack, sid, body, lambda b: b["payload"] == "/affirm")
    m = CODE_RE.search(texts(body))
    assert m, texts(body)
    return m.group(1), body


def test_book_with_buttons_check_reschedule_cancel(stack, chat):
    sid = f"e2e-book-{uuid.uuid4().hex[:8]}"
    profile = load_profile(load_settings().commune_profile)
    body = say(chat, stack, sid, payload="/book_appointment")
    assert "thủ tục nào" in texts(body)
    body = press(chat, stack, sid, body, lambda b: "khai_sinh" in b["payload"])
    assert "ngày nào" in texts(body)
    day_buttons = buttons(body)
    assert day_buttons and all(b["payload"].startswith('/inform{"booking_day"') for b in day_buttons)
    assert all(len(b["payload"].encode()) <= 64 for b in day_buttons)
    body = press(chat, stack, sid, body)
    assert "chọn giờ" in texts(body)
    body = press(chat, stack, sid, body)
    code, body = finish_with_name_phone_and_confirm(chat, stack, sid, body)
    confirmation = texts(body)
    assert profile.address in confirmation and "Giấy tờ cần mang" in confirmation
    (row,) = bookings(stack, sid)
    assert (row.code, row.procedure, row.status, row.phone) == (code, "khai_sinh", "booked", phone_for(sid))

    # "lịch hẹn của tôi"
    body = say(chat, stack, sid, "lịch hẹn của tôi")
    assert code in texts(body)

    # Reschedule from the listing's button: same code, new time.
    body = press(chat, stack, sid, body, lambda b: b["payload"].startswith("/reschedule_appointment"))
    assert "ngày nào" in texts(body)
    body = press(chat, stack, sid, body, lambda b: row.day.isoformat() not in b["payload"])
    body = press(chat, stack, sid, body)
    assert "Đổi lịch hẹn" in texts(body)
    body = press(chat, stack, sid, body, lambda b: b["payload"] == "/affirm")
    assert "Đã đổi lịch hẹn" in texts(body) and code in texts(body)
    (moved,) = bookings(stack, sid)
    assert moved.code == code and moved.day != row.day and moved.status == "booked"

    # Cancel: the button asks nothing more, the place is freed and the phone number deleted.
    body = say(chat, stack, sid, payload=f'/cancel_appointment{{"booking_code":"{code}"}}')
    assert "Đã hủy lịch hẹn" in texts(body)
    (gone,) = bookings(stack, sid)
    assert (gone.status, gone.phone, gone.name) == ("cancelled", None, None)
    body = say(chat, stack, sid, "lịch hẹn của tôi")
    assert "chưa có lịch hẹn" in texts(body)


def test_book_all_at_once(stack, chat):
    sid = f"e2e-once-{uuid.uuid4().hex[:8]}"
    profile = load_profile(load_settings().commune_profile)
    svc = BookingService(stack.db_url, profile, system_clock)
    friday = parse_when("thứ 6", svc.now()).day
    if svc.day_problem("ket_hon", friday) or not svc.free_slots("ket_hon", friday, "morning"):
        pytest.skip(f"Friday {friday} cannot be booked this week")
    body = say(chat, stack, sid, "đặt lịch kết hôn sáng thứ 6")
    assert day_label(friday) in texts(body) and "60 phút" in texts(body)
    times = [b["payload"] for b in buttons(body)]
    assert times and all(int(re.search(r'"(\d\d):', p).group(1)) < 12 for p in times)    # morning only
    body = press(chat, stack, sid, body)
    code, body = finish_with_name_phone_and_confirm(chat, stack, sid, body)
    assert "Hai bên nam, nữ cùng có mặt" in texts(body)
    (row,) = bookings(stack, sid)
    assert (row.code, row.procedure, row.day, row.minutes) == (code, "ket_hon", friday, 60)


def test_question_in_the_middle_then_no(stack, chat):
    sid = f"e2e-mid-{uuid.uuid4().hex[:8]}"
    body = say(chat, stack, sid, payload='/book_appointment{"procedure":"khai_sinh"}')
    assert "ngày nào" in texts(body)
    body = say(chat, stack, sid, "làm khai sinh cần giấy tờ gì")
    out = texts(body)
    assert "ngày nào" in out                                        # answered, then the form asks again
    assert len(body["messages"]) >= 2
    body = say(chat, stack, sid, "mai")
    assert "chọn giờ" in texts(body) or "ngày nào" in texts(body)   # tomorrow may be closed/full
    body = say(chat, stack, sid, payload="/deny")
    assert "dừng việc đặt lịch" in texts(body)
    assert bookings(stack, sid) == []


def test_a_resident_at_the_cap_is_told_when_booking_starts(stack, chat):
    sid = f"e2e-cap-{uuid.uuid4().hex[:8]}"
    profile = load_profile(load_settings().commune_profile)
    svc = BookingService(stack.db_url, profile, system_clock)
    held = []
    for slot in svc.next_free("khai_sinh", limit=profile.booking.max_future_bookings_per_resident):
        held.append(svc.book(f"web:{sid}", "khai_sinh", slot.day, slot.start, "Nguyễn Văn An", phone_for(sid)))
    body = say(chat, stack, sid, "tôi muốn đặt lịch khai sinh")
    out = texts(body)
    assert "tối đa" in out and all(b.code in out for b in held)          # told at once, nothing asked
    assert "ngày nào" not in out and "thủ tục nào" not in out
    assert any(b["payload"].startswith("/reschedule_appointment") for b in buttons(body))
    body = say(chat, stack, sid, "mai")                                  # the form is not waiting
    assert "chọn giờ" not in texts(body)
    assert len(bookings(stack, sid)) == len(held)


def test_an_officer_hand_back_ends_the_form(stack, chat):
    sid = f"e2e-back-{uuid.uuid4().hex[:8]}"
    body = say(chat, stack, sid, payload='/book_appointment{"procedure":"ket_hon"}')
    assert "ngày nào" in texts(body)
    # What the gateway sends when an officer closes the chat (a resident's button cannot send it).
    body = {"messages": rasa_turn(stack, f"web:{sid}", '/handoff_returned{"procedure":"ket_hon"}')}
    assert "Anh/chị cần hỏi thêm gì không ạ?" in texts(body)
    assert '"ket_hon"' in buttons(body)[0]["payload"]
    body = say(chat, stack, sid, "mai")                                  # no form left waiting for a day
    assert "chọn giờ" not in texts(body)


def test_booking_pressed_twice_goes_on_with_the_form(stack, chat):
    """A double tap on "Đặt lịch" (or asking again) while the form waits for a day must not leave
    the resident without an answer; the form asks its question again."""
    sid = f"e2e-twice-{uuid.uuid4().hex[:8]}"
    body = say(chat, stack, sid, payload='/book_appointment{"procedure":"khai_sinh"}')
    assert "ngày nào" in texts(body)
    for again in ({"payload": "/book_appointment"}, {"text": "tôi muốn đặt lịch"}):
        body = say(chat, stack, sid, again.get("text"), payload=again.get("payload"))
        assert "ngày nào" in texts(body)                             # (say() checked: HTTP 200)
    body = press(chat, stack, sid, body, lambda b: b["payload"].startswith('/inform{"booking_day"'))
    assert "chọn giờ" in texts(body)
