""""Xóa dữ liệu của tôi" through the real stack: the phone number typed in the booking form is in
no store afterwards — not in any table of the commune DB, not in Rasa's tracker store (read
after the reply, when Rasa has written the erasing turn back)."""
from __future__ import annotations

import time
import uuid

from sqlalchemy import create_engine, text

from hotich.db.base import Base
from hotich.db.session import get_engine
from tests.e2e.test_booking_e2e import CODE_RE, buttons, press, say, texts
from tests.privacy_helpers import rows_mentioning

import pytest

pytestmark = pytest.mark.e2e
TYPED = ("0987654321", "0987 654 321")   # a number no other e2e test books with


def test_erasure_leaves_the_typed_phone_number_nowhere(stack, chat):
    sid = f"e2e-erase-{uuid.uuid4().hex[:8]}"
    body = say(chat, stack, sid, "em muốn đặt lịch khai sinh")
    while "họ và tên" not in texts(body):          # day, then time: the first offered each time
        assert buttons(body), texts(body)
        body = say(chat, stack, sid, payload=buttons(body)[0]["payload"])
    body = say(chat, stack, sid, "Trần Thị Bình")
    assert "điện thoại" in texts(body).lower()
    body = say(chat, stack, sid, "số của em là 0987 654 321 ạ")
    body = press(chat, stack, sid, body, lambda b: b["payload"] == "/affirm")
    assert CODE_RE.search(texts(body)), texts(body)

    tracker = create_engine(f"sqlite:///{stack.env['RASA_TRACKER_DB']}")
    try:
        assert rows_mentioning(tracker, TYPED, ["events"])    # Rasa holds what was typed (and the slot)

        body = say(chat, stack, sid, "xóa dữ liệu của tôi")
        assert "1 lịch hẹn" in texts(body), texts(body)
        erase = next(b for b in buttons(body) if "Xóa toàn bộ" in b["title"])
        body = say(chat, stack, sid, payload=erase["payload"])
        assert "Đã xóa toàn bộ dữ liệu" in texts(body)

        time.sleep(1)   # anything Rasa still had to write has been written
        assert rows_mentioning(tracker, TYPED, ["events"]) == []
        with tracker.connect() as c:
            assert c.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": f"web:{sid}"}).scalar() == 0
        assert rows_mentioning(get_engine(stack.db_url), TYPED, [t.name for t in Base.metadata.sorted_tables]) == []

        # the resident goes on: a fresh conversation that remembers nothing
        body = say(chat, stack, sid, "xin chào")
        assert rows_mentioning(tracker, TYPED, ["events"]) == []
    finally:
        tracker.dispose()
