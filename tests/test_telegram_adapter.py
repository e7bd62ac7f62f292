"""The Telegram adapter with the real python-telegram-bot, over real HTTP, against the fake Bot
API server (tests/fake_telegram.py) and a small local server playing Rasa's REST webhook.

What a resident would notice: a QR deep link opens the procedure, buttons work once (long payloads
too), nothing is answered twice (redelivered updates, edits, double taps), a blocked bot breaks
nothing, and a message sent while Rasa is down gets an immediate notice and, later, its answer.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from aiohttp import web
from sqlalchemy import select, update
from telegram import Bot

from bot.core import SERVICE_DOWN_TEXT
from bot.dedup import EventDedup
from bot.outbox import Outbox
from bot.telegram.callbacks import CallbackStore
from bot.telegram.dedup import UpdateDedup
from bot.telegram.handlers import ALREADY_PRESSED_TEXT
from bot.outbox import QUEUED_HEADER
from bot.web.app import OUTBOX_KEY
from hotich.db.base import utcnow
from hotich.db.models import InboundEvent, PendingMessage, QrScan, Resident, TelegramCallback
from hotich.db.session import session_scope
from hotich.ops.stack import free_port
from tests.fake_rasa import RasaServer
from tests.fake_telegram import FakeTelegram
from tests.gateway_helpers import gateway_settings, running_gateway

ALICE = 501
BOB = 502
WELCOME = "Xin chào! Mình là trợ lý hộ tịch của xã."
LONG_PAYLOAD = '/ask_documents{"procedure":"xac_nhan_hon_nhan","case":"da_ly_hon","from":"overview"}'


def overview_buttons(proc: str) -> list[dict]:
    return [{"title": "Giấy tờ", "payload": f'/ask_documents{{"procedure":"{proc}"}}'},
            {"title": "Lệ phí", "payload": f'/ask_fee{{"procedure":"{proc}"}}'},
            {"title": "Thời gian giải quyết", "payload": f'/ask_processing_time{{"procedure":"{proc}"}}'},
            {"title": "Đặt lịch hẹn", "payload": "/book_appointment"},
            {"title": "Gửi trước hồ sơ (đã ly hôn)", "payload": LONG_PAYLOAD}]


class FakeRasa(RasaServer):
    """Rasa's REST channel, answering from a fixed script; can go down and come back."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0

    def messages(self) -> list[str]:
        return [m for _, m in self.received]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((body["sender"], body["message"]))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.reply(body["message"]))

    @staticmethod
    def reply(message: str) -> list[dict]:
        if message == "/greet":
            return [{"text": WELCOME, "buttons": [
                {"title": "Khai sinh", "payload": '/choose_procedure{"procedure":"khai_sinh"}'},
                {"title": "Kết hôn", "payload": '/choose_procedure{"procedure":"ket_hon"}'}]}]
        if message.startswith("/choose_procedure"):
            proc = json.loads(message[len("/choose_procedure"):])["procedure"]
            return [{"text": f"Thủ tục {proc}:\n- Giấy tờ\n- Lệ phí", "buttons": overview_buttons(proc)}]
        if message == "dài":
            return [{"text": "\n\n".join(f"Mục {i}: " + "nội dung " * 150 for i in range(8)),
                     "buttons": [{"title": "Có", "payload": "/affirm"}]}]
        return [{"text": f"Đã nhận: {message}"}]


@dataclasses.dataclass
class Harness:
    tg: FakeTelegram
    rasa: FakeRasa
    db_url: str
    outbox: Outbox
    app: web.Application

    async def say(self, text: str, user: int = ALICE, expect: int = 1, timeout: float = 10) -> list[dict]:
        before = len(self.tg.messages_to(user))
        await self.tg.push_message(user, text)
        msgs = await self.tg.wait_messages(user, before + expect, timeout)
        return msgs[before:]

    async def quiet(self, seconds: float = 0.8) -> None:
        """Let the adapter finish whatever it would still do."""
        await self.tg.wait_idle()
        await asyncio.sleep(seconds)


def settings_for(tg: FakeTelegram, db_url: str, rasa_url: str, **extra):
    values = dict(telegram_token=tg.token, telegram_base_url=tg.base_url, telegram_base_file_url=tg.base_file_url,
                  telegram_mode="polling")
    return gateway_settings(db_url, rasa_url, **{**values, **extra})


@asynccontextmanager
async def harness(db_url: str, rasa_up: bool = True, **extra):
    tg = await FakeTelegram().start()
    rasa = FakeRasa()
    if rasa_up:
        await rasa.start()
    try:
        async with running_gateway(settings_for(tg, db_url, rasa.url, **extra)) as client:
            yield Harness(tg, rasa, db_url, client.app[OUTBOX_KEY], client.app)
    finally:
        await rasa.stop()
        await tg.stop()


def buttons_of(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


# ------------------------------------------------------------------------------------------ flows

async def test_channel_starts_with_rate_limiter_and_a_vietnamese_menu(sqlite_url):
    async with harness(sqlite_url) as h:
        names = [c["command"] for c in h.tg.commands]
        assert names[0] == "start" and {"thu_tuc", "dat_lich", "lich_hen", "gui_ho_so", "gap_can_bo"} <= set(names)
        descriptions = {c["command"]: c["description"] for c in h.tg.commands}
        assert descriptions["thu_tuc"] == "Chọn thủ tục hộ tịch" and descriptions["gap_can_bo"] == "Gặp cán bộ xã"
        assert await h.tg.wait_for(lambda: h.tg.calls_of("getUpdates")), "long polling by default"
        [reply] = await h.say("/dat_lich")
        assert h.rasa.messages() == ["/book_appointment"]


async def test_qr_deep_link_opens_the_procedure_and_records_the_scan(db_url):
    async with harness(db_url) as h:
        [overview] = await h.say("/start kh_TT01")
        assert overview["text"].startswith("Thủ tục ket_hon") and overview["parse_mode"] == "HTML"
        assert "• Giấy tờ" in overview["text"]
        titles = [b["text"] for b in buttons_of(overview)]
        assert titles == ["Giấy tờ", "Lệ phí", "Thời gian giải quyết", "Đặt lịch hẹn", "Gửi trước hồ sơ (đã ly hôn)"]
        assert h.rasa.received == [(f"telegram:{ALICE}", '/choose_procedure{"procedure": "ket_hon"}')]
        # the same resident scans another board: a returning resident
        [second] = await h.say("/start ks_CH02")
        assert second["text"].startswith("Thủ tục khai_sinh")
    with session_scope(db_url) as s:
        scans = s.execute(select(QrScan.board_code, QrScan.procedure, QrScan.new_resident, QrScan.channel)
                          .order_by(QrScan.id)).all()
        assert scans == [("TT01", "ket_hon", True, "telegram"), ("CH02", "khai_sinh", False, "telegram")]
        assert s.scalar(select(Resident.display_name).where(Resident.channel_user_id == str(ALICE))) == "Cư dân"


@pytest.mark.parametrize("text", ["/start", "/start khong_hop_le!!", "/start " + "a" * 80, "/start zz_TT01"])
async def test_unknown_or_malformed_deep_link_gives_the_welcome(sqlite_url, text):
    async with harness(sqlite_url) as h:
        [welcome] = await h.say(text)
        assert welcome["text"] == WELCOME
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(QrScan.id)) is None


async def test_free_text_is_answered_and_escaped(sqlite_url):
    async with harness(sqlite_url) as h:
        [reply] = await h.say("<b>khai sinh</b> & kết hôn?")
        # the fake rejects invalid HTML like Telegram; the resident sees exactly what they typed
        assert reply["text"] == "Đã nhận: &lt;b&gt;khai sinh&lt;/b&gt; &amp; kết hôn?"
        # typed "intents" are not Rasa payloads
        await h.say('/book_appointment{"slot":"x"}')
        await h.say("/lenh_la")
        assert h.rasa.messages()[1:] == ['book_appointment{"slot":"x"}', "lenh_la"]


async def test_long_answers_are_split_and_keep_the_keyboard_on_the_last_part(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.tg.push_message(ALICE, "dài")
        await h.tg.wait_for(lambda: any(buttons_of(m) for m in h.tg.messages_to(ALICE)))
        parts = h.tg.messages_to(ALICE)
        assert len(parts) >= 2 and all(len(p["text"]) <= 4096 for p in parts)
        assert all(p["text"].startswith("Mục ") for p in parts)
        assert [bool(buttons_of(p)) for p in parts] == [False] * (len(parts) - 1) + [True]


async def test_button_press_with_long_payload_acts_once_and_marks_the_keyboard(db_url):
    async with harness(db_url) as h:
        [overview] = await h.say("/start xn_TT01")
        pressed = buttons_of(overview)[-1]
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons_of(overview))
        assert pressed["callback_data"].startswith("cb:")
        await h.tg.push_callback(ALICE, overview["message_id"], pressed["callback_data"])
        answer = (await h.tg.wait_messages(ALICE, 2))[1]
        assert h.rasa.messages()[-1] == LONG_PAYLOAD
        assert answer["text"] == f"Đã nhận: {LONG_PAYLOAD}"
        await h.tg.wait_for(lambda: h.tg.calls_of("answerCallbackQuery"))
        # the keyboard now only says what was chosen
        marked = h.tg.sent[overview["message_id"]]
        assert [b["text"] for b in buttons_of(marked)] == ["✅ Gửi trước hồ sơ (đã ly hôn)"]
        # a second tap (on the old keyboard, or the marker) does nothing but answer the query
        await h.tg.push_callback(ALICE, overview["message_id"], buttons_of(marked)[0]["callback_data"])
        await h.quiet()
        assert len(h.tg.messages_to(ALICE)) == 2 and h.rasa.messages().count(LONG_PAYLOAD) == 1
        answers = h.tg.calls_of("answerCallbackQuery")
        assert len(answers) == 2 and answers[1].params["text"] == ALREADY_PRESSED_TEXT


async def test_double_tap_acts_once_and_every_query_is_answered(sqlite_url):
    async with harness(sqlite_url) as h:
        [overview] = await h.say("/start kh")
        fee = buttons_of(overview)[1]["callback_data"]
        h.rasa.delay = 0.3
        await h.tg.push_callback(ALICE, overview["message_id"], fee)
        await h.tg.push_callback(ALICE, overview["message_id"], fee)
        await h.tg.wait_messages(ALICE, 2)
        await h.quiet()
        assert h.rasa.messages().count('/ask_fee{"procedure":"ket_hon"}') == 1
        assert len(h.tg.messages_to(ALICE)) == 2
        assert len(h.tg.calls_of("answerCallbackQuery")) == 2


async def test_same_update_delivered_twice_is_answered_once(sqlite_url):
    async with harness(sqlite_url) as h:
        upd = await h.tg.push_message(ALICE, "lệ phí khai sinh")
        await h.tg.wait_messages(ALICE, 1)
        await h.tg.wait_idle()
        await h.tg.redeliver(upd)
        await h.quiet()
        assert len(h.tg.messages_to(ALICE)) == 1 and h.rasa.messages() == ["lệ phí khai sinh"]

    # also after a restart of the gateway (new run, same database)
    async with harness(sqlite_url) as h2:
        await h2.tg.redeliver(upd)
        await h2.quiet()
        assert h2.tg.messages_to(ALICE) == [] and h2.rasa.messages() == []


async def test_edited_message_gets_no_second_answer(sqlite_url):
    async with harness(sqlite_url) as h:
        upd = await h.tg.push_message(ALICE, "khai sinh cần gì")
        await h.tg.wait_messages(ALICE, 1)
        await h.tg.push_edit(ALICE, upd["message"], "khai tử cần gì")
        await h.quiet()
        assert len(h.tg.messages_to(ALICE)) == 1 and h.rasa.messages() == ["khai sinh cần gì"]


async def test_resident_who_blocked_the_bot_breaks_nothing(sqlite_url):
    async with harness(sqlite_url) as h:
        h.tg.blocked.add(ALICE)
        await h.tg.push_message(ALICE, "xin chào")
        await h.tg.wait_for(lambda: any(c.params.get("chat_id") == ALICE for c in h.tg.calls_of("sendMessage")))
        [reply] = await h.say("cho hỏi lệ phí", user=BOB)
        assert reply["text"] == "Đã nhận: cho hỏi lệ phí"
        h.tg.blocked.discard(ALICE)
        [again] = await h.say("tôi quay lại")
        assert again["text"] == "Đã nhận: tôi quay lại"


async def test_photo_gets_an_answer_and_files_download_through_the_fake(sqlite_url):
    async with harness(sqlite_url) as h:
        h.tg.add_file("F1", b"\x89PNG fake")
        await h.tg.push_photo(ALICE, "F1")
        [reply] = await h.tg.wait_messages(ALICE, 1)
        # a plain Vietnamese answer (from the uploads feature when it is installed), no crash
        assert reply["text"] and h.rasa.messages() == []
        # getFile + download over real HTTP with the real library, for the uploads feature
        async with Bot(h.tg.token, base_url=h.tg.base_url, base_file_url=h.tg.base_file_url) as bot:
            f = await bot.get_file("F1")
            assert bytes(await f.download_as_bytearray()) == b"\x89PNG fake"


async def test_rasa_down_then_up_the_message_is_kept_and_answered(db_url):
    async with harness(db_url, rasa_up=False) as h:
        [notice] = await h.say("khai tử cần giấy tờ gì")
        assert notice["text"] == SERVICE_DOWN_TEXT
        with session_scope(db_url) as s:
            assert s.scalar(select(PendingMessage.sender_id)) == f"telegram:{ALICE}"
        await h.rasa.start()
        later = await h.tg.wait_messages(ALICE, 3, timeout=15)
        assert [m["text"] for m in later[1:]] == [QUEUED_HEADER, "Đã nhận: khai tử cần giấy tờ gì"]
        await h.quiet()
        assert h.rasa.messages() == ["khai tử cần giấy tờ gì"] and len(h.tg.messages_to(ALICE)) == 3
        # the next message is answered normally
        [reply] = await h.say("cảm ơn")
        assert reply["text"] == "Đã nhận: cảm ơn"


async def test_queued_answer_comes_before_the_answer_to_a_newer_message(sqlite_url):
    async with harness(sqlite_url, rasa_up=False) as h:
        h.outbox.retry_interval_s = 3600      # only the resident's next message drains the queue
        await h.outbox.stop()
        await h.say("câu hỏi 1")
        await h.rasa.start()
        later = await h.say("câu hỏi 2", expect=3)
        assert [m["text"] for m in later] == [QUEUED_HEADER, "Đã nhận: câu hỏi 1", "Đã nhận: câu hỏi 2"]


async def test_webhook_mode_checks_the_secret_token(sqlite_url):
    port = free_port()
    url = f"https://hotich.example.org/telegram/hook"
    async with harness(sqlite_url, telegram_mode="webhook", telegram_webhook_url=url,
                       telegram_webhook_secret="s3cret_Token-1", telegram_webhook_port=port) as h:
        [hook] = h.tg.calls_of("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret_Token-1"
        assert not h.tg.calls_of("getUpdates")
        update = {"update_id": 42, "message": {"message_id": 1, "date": 0, "text": "chào",
                                               "chat": {"id": ALICE, "type": "private"},
                                               "from": {"id": ALICE, "is_bot": False, "first_name": "A"}}}
        import aiohttp
        async with aiohttp.ClientSession() as http:
            target = f"http://127.0.0.1:{port}/telegram/hook"
            async with http.post(target, json=update) as r:
                assert r.status == 403
            async with http.post(target, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            for _ in range(2):   # Telegram retries the same update: one answer
                async with http.post(target, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_Token-1"}) as r:
                    assert r.status == 200
        assert [m["text"] for m in h.tg.messages_to(ALICE)] == ["Đã nhận: chào"]


async def test_telegram_unreachable_at_start_keeps_retrying(sqlite_url):
    tg = FakeTelegram()          # not started yet
    rasa = FakeRasa()
    await rasa.start()
    try:
        async with running_gateway(settings_for(tg, sqlite_url, rasa.url)):   # must not raise
            await tg.start()
            await tg.push_message(ALICE, "xin chào")
            await tg.wait_messages(ALICE, 1, timeout=20)
    finally:
        await rasa.stop()
        await tg.stop()


# ------------------------------------------------------------------------------------------ stores

def test_dedup_claims_once_and_takes_over_what_a_dead_run_left(db_url):
    first, second = UpdateDedup(EventDedup(db_url)), UpdateDedup(EventDedup(db_url))
    assert first.claim(1, 100) is True
    assert first.claim(1, 100) is False           # in flight in this run
    assert second.claim(1, 100) is True            # the first run died before finishing it
    assert second.claim(1, 100) is False
    second.done(1, 100)
    assert UpdateDedup(EventDedup(db_url)).claim(1, 100) is False
    assert first.claim(2, 100) is True             # another bot's update 100


def test_dedup_prunes_old_rows(db_url):
    d = UpdateDedup(EventDedup(db_url, keep=timedelta(days=7)))
    d.claim(1, 1)
    d.claim(1, 2)
    with session_scope(db_url) as s:
        s.execute(update(InboundEvent).where(InboundEvent.event_id == "1")
                  .values(received_at=utcnow() - timedelta(days=8)))
    assert d.prune() == 1
    with session_scope(db_url) as s:
        assert s.scalars(select(InboundEvent.event_id)).all() == ["2"]


def test_callback_store_maps_long_payloads_durably(db_url):
    store = CallbackStore(db_url)
    assert store.data_for("/ask_fee") == "/ask_fee"
    data = store.data_for(LONG_PAYLOAD)
    assert data.startswith("cb:") and len(data.encode()) <= 64
    assert store.data_for(LONG_PAYLOAD) == data                    # same button, same data, one row
    assert CallbackStore(db_url).resolve(data) == LONG_PAYLOAD     # after a restart too
    assert store.resolve("cb:unknown") is None
    assert store.data_for("cb:looks-like-ours").startswith("cb:") and store.resolve(store.data_for("cb:x")) == "cb:x"
    with session_scope(db_url) as s:
        assert len(s.scalars(select(TelegramCallback.token)).all()) == 3
    assert store.claim_press(1, ALICE, 10) is True and store.claim_press(1, ALICE, 10) is False
