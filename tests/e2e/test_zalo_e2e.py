"""Zalo residents against the real trained stack (actions server + Rasa + gateway process), with
the gateway's Zalo Bot and Zalo OA channels pointed at the fake Zalo servers (tests/fake_zalo.py)
and its staff group at the fake Telegram Bot API.

The same resident journey on both Zalo channels: ask a question, book an appointment by
replying with the numbers of the choices, send a photo of a paper ahead (consent, checklist,
encrypted storage), erase it all with "xóa dữ liệu của tôi", then reach the officer — whose
messages come back on Zalo while the resident's go to the staff topic.
"""
from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from hotich.db.models import Booking, UploadFile, ZaloChoice
from hotich.db.session import session_scope
from hotich.text.normalize import fold
from tests.e2e.conftest import gateway_on_fake_telegram, phone_for, spaced
from tests.fake_telegram import ThreadedFakeTelegram
from tests.fake_zalo import APP_ID, APP_SECRET, BOT_TOKEN, FIRST_REFRESH_TOKEN, OA_SECRET_KEY, ThreadedFakeZalo
from tests.uploads_samples import jpeg_with_gps

pytestmark = pytest.mark.e2e

STAFF = -1009876500001
OFFICER = 8101
CODE_RE = re.compile(r"Mã lịch hẹn: ([A-Z0-9]{6})")


@pytest.fixture(scope="module")
def channels(stack):
    with ThreadedFakeTelegram() as tg, ThreadedFakeZalo() as zalo:
        tg.add_forum(STAFF, members={OFFICER: {"first_name": "Chị Hoa", "username": "hoa_tp"}})
        with gateway_on_fake_telegram(stack, tg, STAFF_CHAT_ID=str(STAFF), OFFICER_TELEGRAM_IDS=str(OFFICER),
                                      ZALO_BOT_TOKEN=BOT_TOKEN, ZALO_BOT_API_URL=zalo.url, ZALO_BOT_MODE="polling",
                                      ZALO_APP_ID=APP_ID, ZALO_OA_SECRET_KEY=OA_SECRET_KEY, ZALO_APP_SECRET=APP_SECRET,
                                      ZALO_OA_REFRESH_TOKEN=FIRST_REFRESH_TOKEN, ZALO_OA_API_URL=zalo.url,
                                      ZALO_OAUTH_URL=zalo.url):
            zalo.wait_for(lambda: zalo.calls_of("bot", "getUpdates"), 30)
            yield tg, zalo


class Resident:
    """A Zalo resident: `say` sends and returns the texts that came back once the bot is quiet."""

    def __init__(self, stack, zalo, channel: str) -> None:
        self.stack, self.zalo, self.channel = stack, zalo, channel
        self.user_id = uuid.uuid4().hex[:20]
        self.sender = f"{channel}:{self.user_id}"

    def received(self) -> list[str]:
        if self.channel == "zalo_bot":
            return self.zalo.bot_texts_to(self.user_id)
        out = []
        for m in self.zalo.oa_messages_to(self.user_id):
            buttons = ((m.get("attachment") or {}).get("payload") or {}).get("buttons") or []
            out.append("\n".join([m.get("text", ""), *(b["title"] for b in buttons)]))
        return out

    def _send(self, event: str, text: str | None = None, attachments: list | None = None) -> None:
        if self.channel == "zalo_bot":
            if event == "text":
                self.zalo.bot_text(self.user_id, text)
            else:
                self.zalo.bot_photo(self.user_id, attachments[0]["payload"]["url"])
            return
        raw, headers = self.zalo.oa_event("user_send_text" if event == "text" else "user_send_image",
                                          self.user_id, text=text, attachments=attachments)
        req = urllib.request.Request(f"{self.stack.web_url}/zalo/oa/webhook", data=raw, headers=headers,
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def _settle(self, before: int, timeout: float = 90) -> str:
        self.zalo.wait_for(lambda: len(self.received()) > before, timeout)
        n = -1
        while n != len(self.received()):
            n = len(self.received())
            time.sleep(1.5)
        return "\n".join(self.received()[before:])

    def say(self, text: str) -> str:
        before = len(self.received())
        self._send("text", text)
        return self._settle(before)

    def photo(self, content: bytes) -> str:
        before = len(self.received())
        url = self.zalo.add_file(f"{uuid.uuid4().hex}.jpg", content)
        self._send("image", attachments=[{"type": "image", "payload": {"url": url}}])
        return self._settle(before)

    def number_of(self, predicate) -> str:
        """The number shown for the choice whose payload matches (what the resident reads as
        '3. Tôi đồng ý'); the test looks the payload up where the gateway keeps the list."""
        with session_scope(self.stack.db_url) as s:
            payloads = json.loads(s.scalar(select(ZaloChoice.payloads).where(ZaloChoice.sender_id == self.sender)))
        return str(next(i for i, p in enumerate(payloads, start=1) if predicate(p)))

    def pick(self, predicate) -> str:
        return self.say(self.number_of(predicate))


@pytest.mark.parametrize("channel", ["zalo_bot", "zalo_oa"])
def test_zalo_resident_asks_books_sends_a_paper_erases_and_reaches_the_officer(stack, channels, channel):
    tg, zalo = channels
    r = Resident(stack, zalo, channel)

    # ask
    answer = r.say("lệ phí đăng ký kết hôn bao nhiêu")
    assert "phi" in fold(answer) and all(len(t) <= 2000 for t in r.received())

    # book, choosing by number
    out = r.say("đặt lịch hẹn làm khai sinh")
    if "thủ tục nào" in out:
        out = r.pick(lambda p: "khai_sinh" in p)
    assert "ngày nào" in out and re.search(r"^1\. ", out, re.M), out
    out = r.say("1")
    assert "chọn giờ" in out, out
    out = r.say("1")
    assert "họ và tên" in out, out
    r.say("Nguyễn Thị Zalo")
    out = r.say(spaced(phone_for(r.sender)))
    assert "Nguyễn Thị Zalo" in out
    out = r.pick(lambda p: p == "/affirm")
    code = CODE_RE.search(out).group(1)
    with session_scope(stack.db_url) as s:
        booking = s.scalar(select(Booking).where(Booking.sender_id == r.sender))
        assert (booking.code, booking.status, booking.channel) == (code, "booked", channel)

    # a paper sent ahead: consent, checklist, the photo stored encrypted
    out = r.say("tôi muốn gửi trước ảnh hồ sơ khai sinh")
    if "thủ tục nào" in out:
        out = r.pick(lambda p: "khai_sinh" in p)
    assert "Nghị định 13/2023/NĐ-CP" in out
    out = r.pick(lambda p: '"upload":"ok"' in p)
    assert "Giấy chứng sinh" in out
    out = r.photo(jpeg_with_gps())
    assert "Đã nhận ảnh" in out
    with session_scope(stack.db_url) as s:
        assert s.scalars(select(UploadFile)).all()
    out = r.pick(lambda p: '"upload":"a:' in p)
    assert "Còn thiếu" in out or "Đã đủ" in out

    # "xóa dữ liệu của tôi": asked, then the appointment and the paper are gone
    out = r.say("xóa dữ liệu của tôi")
    assert "1 tệp" in out, out
    out = r.pick(lambda p: '"upload":"yes"' in p)
    assert "Đã xóa toàn bộ dữ liệu" in out
    with session_scope(stack.db_url) as s:
        assert s.scalar(select(Booking.phone).where(Booking.sender_id == r.sender)) is None

    # the officer: the resident's words reach the staff topic, the officer's reach Zalo
    topics = set(tg.forum_topics(STAFF))
    out = r.say("cho tôi gặp cán bộ tư pháp")
    assert "da chuyen cuoc tro chuyen" in fold(out), out
    tg.wait_for(lambda: set(tg.forum_topics(STAFF)) - topics, 60)
    [thread] = set(tg.forum_topics(STAFF)) - topics
    opening = tg.topic_texts(STAFF, thread)[0]
    assert ("Kênh: Zalo (Bot)" if channel == "zalo_bot" else "Kênh: Zalo OA") in opening
    tg.push_group_message(STAFF, OFFICER, "/nhan", thread_id=thread, first_name="Chị Hoa", username="hoa_tp")
    zalo.wait_for(lambda: any("đã nhận cuộc trò chuyện" in t for t in r.received()), 30)
    tg.push_group_message(STAFF, OFFICER, "Chào chị, chị mang theo giấy chứng sinh nhé.", thread_id=thread,
                          first_name="Chị Hoa", username="hoa_tp")
    zalo.wait_for(lambda: any("Chào chị, chị mang theo giấy chứng sinh nhé." in t for t in r.received()), 30)
    before = len(r.received())
    r._send("text", "Dạ vâng, em cảm ơn chị")
    tg.wait_for(lambda: any("👤 Dạ vâng, em cảm ơn chị" in t for t in tg.topic_texts(STAFF, thread)), 30)
    time.sleep(2)
    assert len(r.received()) == before                # no bot answer while the officer has the chat
    tg.push_group_message(STAFF, OFFICER, "/dong", thread_id=thread, first_name="Chị Hoa", username="hoa_tp")
    tg.wait_for(lambda: tg.forum_topics(STAFF)[thread]["closed"], 30)
    zalo.wait_for(lambda: len(r.received()) > before, 60)     # the bot speaks again (Rasa's hand-back)
