"""Hand-off to the officer, end to end through the real python-telegram-bot and the fake Bot API
server, with a small local server playing Rasa (REST webhook + tracker read).

What residents and officers notice: escalation opens a staff topic with the context; the officer
takes, answers (text and photos), the resident answers back, the officer closes and the bot
answers the next question with its state cleaned (Rasa was told `/handoff_returned`); two officers taking at once → one wins; a
non-officer in the staff group can do nothing; web residents are escalated to the same kind of
topic; outside hours the resident is told when to expect an answer.
"""
from __future__ import annotations

from tests.fake_rasa import RasaServer

import asyncio
import dataclasses
import json
from pathlib import Path
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.handoff import HAND_BACK_TEXT
from hotich.commune import load_profile
from hotich.handoff import audit, ownership
from hotich.handoff.hours import load_officer_hours
from hotich.uploads.service import UploadService
from hotich.uploads.storage import new_key
from tests.fake_telegram import FakeTelegram
from tests.uploads_samples import jpeg_with_gps
from tests.gateway_helpers import gateway_settings, running_gateway

RESIDENT = 601
STAFF = -1001234567890
OFFICER_A, OFFICER_B, OUTSIDER = 9001, 9002, 9666
WEB_SESSION = "webhandoff01"
OPEN = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)        # Tuesday 09:00 in Hà Nội
CLOSED_AT = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)  # Saturday 19:00


class RasaStandIn(RasaServer):
    """REST webhook + GET tracker, with slots and an active form. `/handoff_returned` does what
    the dialogue's action_handoff_returned does: form ended, slots reset except the procedure."""

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, list[dict]] = {}
        self.slots: dict[str, dict] = {}
        self.loops: dict[str, str | None] = {}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)

    def messages_of(self, sender: str) -> list[str]:
        return [m for s, m in self.received if s == sender]

    def reply(self, sender: str, message: str) -> list[dict]:
        slots = self.slots.setdefault(sender, {"procedure": None, "requested_slot": None, "booking_date": None,
                                               "fallback_count": 0.0})
        if message.startswith("/handoff_returned"):
            procedure = json.loads(message[len("/handoff_returned"):])["procedure"] or slots["procedure"]
            slots.update(requested_slot=None, booking_date=None, fallback_count=0.0, procedure=procedure)
            self.loops[sender] = None
            return [{"text": HAND_BACK_TEXT, "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}]
        if message.startswith("/talk_to_officer") or "cán bộ" in message:
            procedure = slots["procedure"]
            if "{" in message:
                procedure = json.loads(message[message.index("{"):]).get("procedure")
            return [{"custom": {"handoff": "request", "procedure": procedure, "reason": "asked"}}]
        if message.startswith("đặt lịch"):
            slots.update(procedure="khai_sinh", requested_slot="booking_date", booking_date="mai")
            self.loops[sender] = "booking_form"
            return [{"text": "Bạn muốn hẹn ngày nào?"}]
        if "khai sinh" in message:
            slots["procedure"] = "khai_sinh"
            return [{"text": "Khai sinh cần: tờ khai, giấy chứng sinh."}]
        if message == "???":
            return [{"text": "Xin lỗi, mình vẫn chưa hiểu.", "buttons": [{"title": "🙋 Gặp cán bộ",
                                                                           "payload": "/talk_to_officer"}]},
                    {"custom": {"handoff": "request", "procedure": None, "reason": "fallback"}}]
        return [{"text": f"Bot: {message}"}]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        self.received.append((sender, message))
        out = self.reply(sender, message)
        ev = self.events.setdefault(sender, [])
        ev.append({"event": "user", "text": message})
        ev += [{"event": "bot", "text": o["text"]} for o in out if o.get("text")]
        return web.json_response(out)

    async def _tracker(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "slots": self.slots.get(sender, {}),
                                  "active_loop": {"name": self.loops.get(sender)},
                                  "events": self.events.get(sender, [])})


@dataclasses.dataclass
class H:
    tg: FakeTelegram
    rasa: RasaStandIn
    db_url: str
    web: TestClient
    settings: object

    async def say(self, text: str, expect: int = 1, user: int = RESIDENT) -> list[dict]:
        before = len(self.tg.messages_to(user))
        await self.tg.push_message(user, text, first_name="Nguyễn Văn An")
        msgs = await self.tg.wait_messages(user, before + expect)
        return msgs[before:]

    async def officer(self, text: str | None, thread: int, officer: int = OFFICER_A, **kw) -> None:
        names = {OFFICER_A: ("Chị Lan", "lan_tuphap"), OFFICER_B: ("Anh Minh", "minh_hotich"),
                 OUTSIDER: ("Người lạ", "nguoi_la")}
        first, username = names[officer]
        await self.tg.push_group_message(STAFF, officer, text, thread_id=thread, first_name=first,
                                         username=username, **kw)

    def topics(self) -> dict[int, dict]:
        return self.tg.forums[STAFF]["topics"]

    async def wait_topic_text(self, thread: int, needle: str) -> list[str]:
        await self.tg.wait_for(lambda: any(needle in t for t in self.tg.topic_texts(STAFF, thread)))
        return self.tg.topic_texts(STAFF, thread)

    async def quiet(self, seconds: float = 0.6) -> None:
        await self.tg.wait_idle()
        await asyncio.sleep(seconds)


@asynccontextmanager
async def harness(db_url: str, now: datetime = OPEN, **settings_extra):
    tg = await FakeTelegram().start()
    tg.add_forum(STAFF, members={OFFICER_A: {"first_name": "Chị Lan", "username": "lan_tuphap"},
                                 OFFICER_B: {"first_name": "Anh Minh", "username": "minh_hotich"},
                                 OUTSIDER: {"first_name": "Người lạ"}})
    rasa = RasaStandIn()
    await rasa.start()
    settings = gateway_settings(db_url, rasa.url, telegram_token=tg.token, telegram_base_url=tg.base_url,
                                telegram_base_file_url=tg.base_file_url, telegram_mode="polling",
                                staff_chat_id=STAFF, officer_telegram_ids=frozenset({OFFICER_A, OFFICER_B}),
                                upload_key=new_key(), upload_dir=Path(db_url.removeprefix("sqlite:///")).parent / "up",
                                **settings_extra)
    profile = load_profile(settings.commune_profile)
    hours = load_officer_hours(settings.commune_profile, clock=lambda: now, profile=profile)
    try:
        async with running_gateway(settings, hours=hours) as web_client:
            yield H(tg, rasa, db_url, web_client, settings)
    finally:
        await rasa.stop()
        await tg.stop()


def buttons_of(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_escalate_take_answer_close_then_the_bot_answers_again(sqlite_url):
    sender = f"telegram:{RESIDENT}"
    async with harness(sqlite_url) as h:
        await h.say("làm giấy khai sinh cần gì")
        await h.say("đặt lịch khai sinh")                       # a form is active in Rasa
        [ack] = await h.say("cho tôi gặp cán bộ")
        assert "đã chuyển cuộc trò chuyện" in ack["text"] and "người tiếp theo" in ack["text"]
        assert [b["text"] for b in buttons_of(ack)] == ["↩️ Quay lại trợ lý tự động"]

        # a topic for this resident, opened with the context
        await h.tg.wait_for(lambda: h.topics())
        [(thread, topic)] = h.topics().items()
        assert topic["name"].startswith("Nguyễn Văn An · Đăng ký khai sinh")
        [opening] = h.tg.topic_texts(STAFF, thread)
        assert "Nguyễn Văn An" in opening and "Thủ tục: Đăng ký khai sinh" in opening
        assert "👤 làm giấy khai sinh cần gì" in opening and "🤖 Bạn muốn hẹn ngày nào?" in opening
        assert "/nhan" in opening

        # while waiting, the resident's words go to the topic, not to Rasa
        n_rasa = len(h.rasa.messages_of(sender))
        [relayed] = await h.say("con tôi sinh ở Hàn Quốc")
        assert "Đã chuyển lời nhắn" in relayed["text"]
        await h.wait_topic_text(thread, "👤 con tôi sinh ở Hàn Quốc")

        # the officer takes it; the resident is told a person answers now
        await h.officer("/nhan", thread)
        await h.wait_topic_text(thread, "Chị Lan đã nhận")
        await h.tg.wait_for(lambda: any("đã nhận cuộc trò chuyện" in t for t in h.tg.texts_to(RESIDENT)))
        # officer answers with text and a photo: copied to the resident
        await h.officer("Chào anh, anh mang theo giấy chứng sinh nhé.", thread)
        await h.tg.wait_for(lambda: "Chào anh, anh mang theo giấy chứng sinh nhé." in h.tg.texts_to(RESIDENT))
        await h.officer(None, thread, photo_file_id="mau_to_khai", caption="Mẫu tờ khai")
        await h.tg.wait_for(lambda: any(m.get("photo") for m in h.tg.messages_to(RESIDENT)))
        copies = h.tg.calls_of("copyMessage")
        assert {c.params["chat_id"] for c in copies} == {RESIDENT}
        # the resident answers: into the topic, still not to Rasa, no bot reply
        before = len(h.tg.messages_to(RESIDENT))
        await h.tg.push_message(RESIDENT, "Vâng, cảm ơn chị", first_name="Nguyễn Văn An")
        await h.wait_topic_text(thread, "👤 Vâng, cảm ơn chị")
        # a photo of a paper (the resident had agreed and chosen the procedure before): stored
        # encrypted like any paper sent ahead; the topic gets a note, never the photo itself
        uploads = UploadService.from_settings(h.settings)
        rid = uploads.resident_for(sender)
        uploads.give_consent(rid)
        uploads.start(rid, "khai_sinh")
        h.tg.add_file("anh_giay_chung_sinh", jpeg_with_gps())
        await h.tg.push_photo(RESIDENT, "anh_giay_chung_sinh")
        await h.wait_topic_text(thread, "📎 Người dân vừa gửi 1 tệp giấy tờ")
        await h.quiet()
        assert not any(m.get("photo") for m in h.tg.topic_messages(STAFF, thread))
        [stored] = uploads.draft(rid).files
        assert stored.kind == "jpeg" and uploads.read_own_file(rid, stored.public_id)[1] != jpeg_with_gps()
        assert len(h.tg.messages_to(RESIDENT)) == before + 1            # "Đây là: …" for the paper
        assert len(h.rasa.messages_of(sender)) == n_rasa

        # the officer closes: Rasa is told (procedure kept), its question reaches the resident
        await h.officer("/dong", thread)
        await h.tg.wait_for(lambda: HAND_BACK_TEXT in h.tg.texts_to(RESIDENT))
        await h.tg.wait_for(lambda: h.topics()[thread]["closed"])
        assert h.rasa.messages_of(sender)[-1] == '/handoff_returned{"procedure": "khai_sinh"}'
        assert h.rasa.slots[sender]["procedure"] == "khai_sinh"
        assert h.rasa.slots[sender]["requested_slot"] is None and h.rasa.slots[sender]["booking_date"] is None
        assert h.rasa.loops[sender] is None

        # the next question goes to the bot again
        [answer] = await h.say("thế còn kết hôn")
        assert answer["text"] == "Bot: thế còn kết hôn"

    conv = ownership.get(sqlite_url, sender)
    assert conv.owner == "closed"
    trail = [(e.action, e.officer_id) for e in audit.history(sqlite_url, conv.id)]
    assert trail == [("request", None), ("take", OFFICER_A), ("answer", OFFICER_A), ("answer", OFFICER_A),
                     ("close", OFFICER_A)]
    kept = [(m.direction, m.kind) for m in audit.messages(sqlite_url, conv.id)]
    assert kept == [("resident", "text"), ("officer", "text"), ("officer", "photo"), ("resident", "text"),
                    ("resident", "papers")]


async def test_two_officers_take_at_once_and_forwarding(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.say("/gap_can_bo")
        await h.tg.wait_for(lambda: h.topics())
        [thread] = h.topics()
        await asyncio.gather(h.officer("/nhan", thread, OFFICER_A), h.officer("/nhan", thread, OFFICER_B))
        texts = await h.wait_topic_text(thread, "đã có cán bộ khác nhận")
        assert sum("đã nhận cuộc trò chuyện. Tin nhắn" in t for t in texts) == 1
        conv = ownership.get(sqlite_url, f"telegram:{RESIDENT}")
        winner = conv.officer_id
        loser = OFFICER_B if winner == OFFICER_A else OFFICER_A
        # the loser's messages do not reach the resident, nor can they close
        await h.officer("Tôi trả lời thay nhé", thread, loser)
        await h.officer("/dong", thread, loser)
        await h.wait_topic_text(thread, "chỉ cán bộ đó mới đóng")
        assert "Tôi trả lời thay nhé" not in h.tg.texts_to(RESIDENT)
        # forward by @username to the other officer, who can then answer
        loser_name = "minh_hotich" if loser == OFFICER_B else "lan_tuphap"
        await h.officer(f"/chuyen @{loser_name}", thread, winner)
        await h.wait_topic_text(thread, "đã chuyển cuộc trò chuyện cho")
        await h.officer("Em là cán bộ tiếp nhận mới.", thread, loser)
        await h.tg.wait_for(lambda: "Em là cán bộ tiếp nhận mới." in h.tg.texts_to(RESIDENT))
        await h.officer("/dong", thread, loser)
        await h.tg.wait_for(lambda: HAND_BACK_TEXT in h.tg.texts_to(RESIDENT))
    trail = [e for e in audit.history(sqlite_url, conv.id)]
    assert [e.action for e in trail] == ["request", "take", "forward", "answer", "close"]
    assert trail[2].officer_id == winner and trail[2].target_officer_id == loser and trail[4].officer_id == loser


async def test_non_officer_in_the_staff_group_can_do_nothing(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.say("/gap_can_bo")
        await h.tg.wait_for(lambda: h.topics())
        [thread] = h.topics()
        n_topic = len(h.tg.topic_messages(STAFF, thread))
        n_resident = len(h.tg.messages_to(RESIDENT))
        for text in ("/nhan", "Tôi là cán bộ đây", "/chuyen 9666", "/dong"):
            await h.officer(text, thread, OUTSIDER)
        await h.quiet()
        assert len(h.tg.topic_messages(STAFF, thread)) == n_topic      # not even an answer
        assert len(h.tg.messages_to(RESIDENT)) == n_resident
        assert ownership.get(sqlite_url, f"telegram:{RESIDENT}").owner == "waiting"
        # forwarding to someone who is not an officer is refused too
        await h.officer("/nhan", thread, OFFICER_A)
        await h.wait_topic_text(thread, "Chị Lan đã nhận")
        await h.officer(f"/chuyen {OUTSIDER}", thread, OFFICER_A)
        await h.wait_topic_text(thread, "Không tìm thấy cán bộ")
        assert ownership.get(sqlite_url, f"telegram:{RESIDENT}").officer_id == OFFICER_A


async def test_web_resident_is_escalated_to_a_topic_too(sqlite_url):
    sender = f"web:{WEB_SESSION}"

    async def chat(**body):
        resp = await h.web.post("/api/chat", json={"session_id": WEB_SESSION, **body})
        assert resp.status == 200
        return (await resp.json())["messages"]

    async def pending():
        resp = await h.web.post("/api/pending", json={"session_id": WEB_SESSION})
        return await resp.json()

    async with harness(sqlite_url) as h:
        await chat(text="làm giấy khai sinh cần gì")
        [ack] = await chat(payload='/talk_to_officer{"procedure":"khai_sinh"}')
        assert "đã chuyển cuộc trò chuyện" in ack["text"] and ack["custom"]["handoff"] == "waiting"
        assert (await pending()).get("handoff") is True          # the page keeps polling
        [again] = await chat(start="")                             # page reloaded: where they stand
        assert "đã được ghi nhận" in again["text"] and "người tiếp theo" in again["text"]
        await h.tg.wait_for(lambda: h.topics())
        [(thread, topic)] = h.topics().items()
        assert "Người dân (web chat)" in topic["name"]
        assert "Kênh: Web chat" in h.tg.topic_texts(STAFF, thread)[0]

        await chat(text="cho tôi hỏi về trường hợp đặc biệt")
        await h.wait_topic_text(thread, "👤 cho tôi hỏi về trường hợp đặc biệt")
        got: list[dict] = []

        async def collect(n: int) -> None:
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                got.extend(m for r in (await pending())["replies"] for m in r["messages"])
                if len(got) >= n:
                    return
                assert asyncio.get_running_loop().time() < deadline, got
                await asyncio.sleep(0.2)

        # an officer types one message after the other (Telegram updates are handled concurrently)
        await h.officer("/nhan", thread)
        await collect(1)
        await h.officer("Anh/chị cho em xin số điện thoại nhé.", thread)
        await collect(2)
        await h.officer(None, thread, photo_file_id="mau", caption="Mẫu đơn")
        await collect(3)
        texts = [m["text"] for m in got]
        assert "đã nhận cuộc trò chuyện" in texts[0]
        assert texts[1] == "Anh/chị cho em xin số điện thoại nhé."
        assert texts[2].startswith("Mẫu đơn") and all(m["custom"]["handoff"] for m in got)
        assert (await pending())["replies"] == []            # each handed over once

        assert await chat(text="0912 345 678") == []          # to the officer only
        await h.wait_topic_text(thread, "👤 0912 345 678")
        assert "0912 345 678" not in h.rasa.messages_of(sender)

        await h.officer("/dong", thread)
        await h.tg.wait_for(lambda: h.topics()[thread]["closed"])
        replies = (await pending())["replies"]
        assert replies[0]["messages"][0]["text"] == HAND_BACK_TEXT
        assert "handoff" not in await pending()
        [answer] = await chat(text="lệ phí bao nhiêu")
        assert answer["text"] == "Bot: lệ phí bao nhiêu"


async def test_outside_hours_the_resident_knows_when_and_can_leave_a_message(sqlite_url):
    async with harness(sqlite_url, now=CLOSED_AT) as h:
        [ack] = await h.say("???")  # second miss in a row: the fallback escalates by itself
        assert ack["text"] == "Xin lỗi, mình vẫn chưa hiểu."
        await h.tg.wait_messages(RESIDENT, 2)
        notice = h.tg.texts_to(RESIDENT)[1]
        assert "ngoài giờ làm việc" in notice and "08:00 Thứ Hai, 07/12" in notice and "để lại lời nhắn" in notice
        await h.tg.wait_for(lambda: h.topics())
        [thread] = h.topics()
        assert "trợ lý không hiểu câu hỏi" in h.tg.topic_texts(STAFF, thread)[0]
        assert "Ngoài giờ làm việc" in h.tg.topic_texts(STAFF, thread)[0]

        [relayed] = await h.say("Tôi sẽ chờ, nhờ cán bộ gọi lại")
        await h.wait_topic_text(thread, "👤 Tôi sẽ chờ, nhờ cán bộ gọi lại")
        # pressing the officer button again shows where they stand
        [status] = await h.say("/gap_can_bo")
        assert "vị trí số 1" in status["text"]

        # the resident may go back to the bot while waiting
        before = len(h.tg.messages_to(RESIDENT))
        [btn] = [b for b in buttons_of(relayed) if b["text"].startswith("↩️")]
        await h.tg.push_callback(RESIDENT, relayed["message_id"], btn["callback_data"])
        await h.tg.wait_for(lambda: HAND_BACK_TEXT in h.tg.texts_to(RESIDENT)[before:])
        assert any("quay lại trò chuyện với trợ lý" in t for t in h.tg.texts_to(RESIDENT)[before:])
        await h.wait_topic_text(thread, "Người dân đã huỷ yêu cầu")
        assert h.topics()[thread]["closed"]
        [answer] = await h.say("khai sinh")
        assert answer["text"].startswith("Khai sinh cần")
    assert ownership.get(sqlite_url, f"telegram:{RESIDENT}").owner == "bot"
