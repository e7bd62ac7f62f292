"""The Zalo channels (Bot Platform and Official Account) in the real gateway, over real HTTP,
against the fake Zalo servers (tests/fake_zalo.py) and a small local server playing Rasa.

What a resident or officer notices: answers arrive under Zalo's 2000-character limit, choices are
numbered and a reply with the number picks one (also after a gateway restart), stickers and
unsupported messages get a short note, a photo of a paper is stored encrypted like on Telegram,
every message is answered once however often Zalo delivers it, a forged OA webhook does nothing,
many sends on an expired OA token refresh it exactly once, and when Zalo's 7-day window has
closed the officer is told in the staff topic instead of the message silently failing.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot.delivery import GIVEN_UP_TEXT
from bot.messages import OutgoingMessage
from bot.web.app import DELIVERY_KEY
from bot.web.uploads import UPLOADS_KEY
from bot.zalo.common import CHOOSE_HINT, STICKER_TEXT, UNSUPPORTED_TEXT, Part, split_text
from bot.zalo.oa import HttpSession, OATokens, ZaloOAApi
from hotich.db.models import Resident, ZaloToken
from hotich.identity import Address
from hotich.db.session import session_scope
from hotich.uploads.storage import new_key
from tests.fake_rasa import RasaServer
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import APP_ID, APP_SECRET, BOT_TOKEN, FIRST_REFRESH_TOKEN, OA_SECRET_KEY, FakeZalo
from tests.gateway_helpers import gateway_settings, running_gateway
from tests.uploads_samples import jpeg_with_gps

RESIDENT = "e4ea2cd5189df1c3a88c"
FOLLOWER = "5412398765432109876"
CHOICES = [("Khai sinh", '/choose_procedure{"procedure":"khai_sinh"}'),
           ("Kết hôn", '/choose_procedure{"procedure":"ket_hon"}')]
OVERVIEW = [("Giấy tờ", "/ask_documents"), ("Lệ phí", "/ask_fee"), ("Thời gian", "/ask_processing_time"),
            ("Đặt lịch hẹn", "/book_appointment"), ("Gửi trước hồ sơ", "/upload_documents"),
            ("Gặp cán bộ", "/talk_to_officer")]


class Rasa(RasaServer):
    """Rasa's REST channel from a fixed script: a greeting with two choices, an overview with six."""

    def messages(self) -> list[str]:
        return [m for _, m in self.received]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = body["message"]
        self.received.append((body["sender"], message))
        if message in ("chào", "/greet"):
            return web.json_response([{"text": "Dạ, em chào anh/chị. Anh/chị hỏi thủ tục nào ạ?",
                                       "buttons": [{"title": t, "payload": p} for t, p in CHOICES]}])
        if message.startswith("/choose_procedure"):
            return web.json_response([{"text": "Thủ tục này gồm:",
                                       "buttons": [{"title": t, "payload": p} for t, p in OVERVIEW]}])
        if message == "dài":
            return web.json_response([{"text": "\n\n".join(f"Mục {i}: " + ("nội dung " * 90).strip() for i in range(6))}])
        return web.json_response([{"text": f"Đã nhận: {message}"}])


def zalo_settings(db_url: str, rasa_url: str, zalo: FakeZalo, **extra):
    values = dict(zalo_bot_token=BOT_TOKEN, zalo_bot_api_url=zalo.url, zalo_bot_mode="polling",
                  zalo_app_id=APP_ID, zalo_oa_secret_key=OA_SECRET_KEY, zalo_app_secret=APP_SECRET,
                  zalo_oa_refresh_token=FIRST_REFRESH_TOKEN, zalo_oa_api_url=zalo.url, zalo_oauth_url=zalo.url)
    return gateway_settings(db_url, rasa_url, **{**values, **extra})


@dataclasses.dataclass
class H:
    zalo: FakeZalo
    rasa: Rasa
    web: object
    db_url: str

    async def bot_say(self, text: str, expect: int = 1) -> list[str]:
        before = len(self.zalo.bot_texts_to(RESIDENT))
        await self.zalo.bot_text(RESIDENT, text)
        await self.zalo.wait_for(lambda: len(self.zalo.bot_texts_to(RESIDENT)) >= before + expect)
        return self.zalo.bot_texts_to(RESIDENT)[before:]

    async def oa_post(self, raw: bytes, headers: dict) -> int:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.web.make_url('/zalo/oa/webhook')}", data=raw, headers=headers) as r:
                return r.status

    async def oa_say(self, text: str, expect: int = 1, msg_id: str | None = None) -> list[dict]:
        before = len(self.zalo.oa_messages_to(FOLLOWER))
        assert await self.oa_post(*self.zalo.oa_event("user_send_text", FOLLOWER, text=text, msg_id=msg_id)) == 200
        await self.zalo.wait_for(lambda: len(self.zalo.oa_messages_to(FOLLOWER)) >= before + expect)
        return self.zalo.oa_messages_to(FOLLOWER)[before:]


@asynccontextmanager
async def harness(db_url: str, zalo: FakeZalo | None = None, **extra):
    own = zalo is None
    zalo = zalo or await FakeZalo().start()
    rasa = Rasa()
    await rasa.start()
    try:
        async with running_gateway(zalo_settings(db_url, rasa.url, zalo, **extra)) as client:
            if extra.get("zalo_bot_mode", "polling") == "polling":
                await zalo.wait_for(lambda: zalo.calls_of("bot", "getUpdates"))
            yield H(zalo, rasa, client, db_url)
    finally:
        await rasa.stop()
        if own:
            await zalo.stop()


async def quiet(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)


# ------------------------------------------------------------------------------ Bot Platform

async def test_bot_numbered_choices_pick_by_number_even_after_a_restart(db_url):
    zalo = await FakeZalo().start()
    try:
        async with harness(db_url, zalo) as h:
            [greeting] = await h.bot_say("chào")
            assert greeting.endswith("1. Khai sinh\n2. Kết hôn\n" + CHOOSE_HINT)
            [overview] = await h.bot_say("2")
            assert h.rasa.messages()[-1] == '/choose_procedure{"procedure":"ket_hon"}'
            assert "6. Gặp cán bộ" in overview
            [other] = await h.bot_say("9")                   # not a shown number: plain text
            assert other == "Đã nhận: 9"
        async with harness(db_url, zalo) as h:                # a new gateway run, same DB
            await h.bot_say("chào")
            await h.bot_say("1")
            await h.bot_say("2.")
            assert h.rasa.messages()[-1] == "/ask_fee"
    finally:
        await zalo.stop()


async def test_bot_long_answers_are_split_under_2000_characters(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.zalo.bot_text(RESIDENT, "dài")
        await h.zalo.wait_for(lambda: len(h.zalo.bot_texts_to(RESIDENT)) >= 2)
        await quiet()
        parts = h.zalo.bot_texts_to(RESIDENT)
        assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
        assert "\n\n".join(parts) == "\n\n".join(f"Mục {i}: " + ("nội dung " * 90).strip() for i in range(6))


def test_split_text_cuts_between_paragraphs_lines_and_words():
    text = "a" * 1500 + "\n\n" + "b" * 1500 + "\n" + "c " * 1200 + "\n\n" + "d" * 4500
    parts = split_text(text)
    assert all(1 <= len(p) <= 2000 for p in parts)
    assert parts[0] == "a" * 1500 and parts[1].startswith("b" * 1500)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


async def test_bot_stickers_and_unsupported_messages_get_a_note(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.zalo.bot_sticker(RESIDENT)
        await h.zalo.wait_for(lambda: h.zalo.bot_texts_to(RESIDENT))
        await h.zalo.bot_unsupported(RESIDENT)
        await h.zalo.wait_for(lambda: len(h.zalo.bot_texts_to(RESIDENT)) == 2)
        assert h.zalo.bot_texts_to(RESIDENT) == [STICKER_TEXT, UNSUPPORTED_TEXT]
        assert h.rasa.messages() == []


async def test_bot_photo_of_a_paper_is_stored_encrypted(sqlite_url, tmp_path):
    async with harness(sqlite_url, upload_key=new_key(), upload_dir=tmp_path / "up") as h:
        url = h.zalo.add_file("giay_chung_sinh.jpg", jpeg_with_gps())
        await h.zalo.bot_photo(RESIDENT, url)                       # no consent yet: asked first
        await h.zalo.wait_for(lambda: h.zalo.bot_texts_to(RESIDENT))
        assert "đồng ý" in h.zalo.bot_texts_to(RESIDENT)[0].lower()
        await quiet()
        svc = h.web.app[UPLOADS_KEY].service
        assert svc.store.names() == []                               # nothing kept without consent
        rid = svc.resident_for(f"zalo_bot:{RESIDENT}")
        svc.give_consent(rid)
        svc.start(rid, "khai_sinh")
        before = len(h.zalo.bot_texts_to(RESIDENT))
        await h.zalo.bot_photo(RESIDENT, url)
        await h.zalo.wait_for(lambda: len(h.zalo.bot_texts_to(RESIDENT)) > before)
        await quiet()
        [stored] = svc.draft(rid).files
        assert stored.kind == "jpeg"
        assert svc.read_own_file(rid, stored.public_id)[1] != jpeg_with_gps()     # EXIF (GPS) stripped
        assert "1. " in h.zalo.bot_texts_to(RESIDENT)[-1]            # "Đây là: …" as numbered choices


async def test_bot_webhook_checks_the_secret_and_answers_each_message_once(sqlite_url):
    async with harness(sqlite_url, zalo_bot_mode="webhook", zalo_bot_webhook_secret="s3cret-Token-1",
                       zalo_bot_webhook_url="https://hotich.example.org/zalo/bot/webhook") as h:
        assert h.zalo.webhook == {"url": "https://hotich.example.org/zalo/bot/webhook",
                                  "secret_token": "s3cret-Token-1"}
        update = {"ok": True, "result": h.zalo.bot_update(RESIDENT, "message.text.received", text="lệ phí")}
        url = h.web.make_url("/zalo/bot/webhook")
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as r:
                    assert r.status == 401
            for _ in range(2):                                     # Zalo delivers it twice
                async with http.post(url, json=update, headers={"X-Bot-Api-Secret-Token": "s3cret-Token-1"}) as r:
                    assert r.status == 200
        await h.zalo.wait_for(lambda: h.zalo.bot_texts_to(RESIDENT))
        await quiet()
        assert h.zalo.bot_texts_to(RESIDENT) == ["Đã nhận: lệ phí"] and h.rasa.messages() == ["lệ phí"]


# ------------------------------------------------------------------------------ Official Account

async def test_oa_webhook_signature_is_checked_before_anything(sqlite_url):
    async with harness(sqlite_url) as h:
        raw, headers = h.zalo.oa_event("user_send_text", FOLLOWER, text="xin chào")
        assert await h.oa_post(raw, {"Content-Type": "application/json"}) == 401          # missing
        assert await h.oa_post(*h.zalo.oa_event("user_send_text", FOLLOWER, text="x", secret="other")) == 401
        tampered = raw.replace("xin chào".encode(), "chuyển tiền".encode())
        assert await h.oa_post(tampered, headers) == 401                                 # body changed
        await quiet()
        assert h.rasa.messages() == [] and not h.zalo.calls_of("oa")
        with session_scope(sqlite_url) as s:
            assert s.scalar(select(Resident.id)) is None
        t0 = time.monotonic()
        assert await h.oa_post(raw, headers) == 200
        assert time.monotonic() - t0 < 2                       # acknowledged at once
        await h.zalo.wait_for(lambda: h.zalo.oa_texts_to(FOLLOWER))
        assert h.zalo.oa_texts_to(FOLLOWER) == ["Đã nhận: xin chào"]


async def test_oa_buttons_come_back_as_numbers_and_redeliveries_act_once(sqlite_url):
    async with harness(sqlite_url) as h:
        [greeting] = await h.oa_say("chào", msg_id="msg-1")
        buttons = greeting["attachment"]["payload"]["buttons"]
        assert [(b["title"], b["payload"], b["type"]) for b in buttons] == [
            ("1. Khai sinh", "1", "oa.query.show"), ("2. Kết hôn", "2", "oa.query.show")]
        await h.oa_post(*h.zalo.oa_event("user_send_text", FOLLOWER, text="chào", msg_id="msg-1"))   # retried
        [overview] = await h.oa_say("1")                        # the tap on "1. Khai sinh"
        assert h.rasa.messages() == ["chào", '/choose_procedure{"procedure":"khai_sinh"}']
        # six choices: more than an OA template holds, so a numbered list
        assert "attachment" not in overview and "6. Gặp cán bộ" in overview["text"]


async def test_many_sends_on_an_expired_token_refresh_it_exactly_once(db_url):
    zalo = await FakeZalo().start()
    zalo.refresh_delay = 0.3
    http = HttpSession()
    tokens = OATokens(db_url, APP_ID, FIRST_REFRESH_TOKEN, zalo.url, APP_SECRET, http)
    api = ZaloOAApi(zalo.url, tokens, http)
    try:
        await asyncio.gather(*(api.send_parts(f"u{i}", [Part(f"tin {i}")]) for i in range(20)))
        assert zalo.refresh_calls == 1
        zalo.expire_access()                                   # Zalo invalidates it (-216)
        await asyncio.gather(*(api.send_parts(f"u{i}", [Part(f"lần 2: {i}")]) for i in range(20)))
        assert zalo.refresh_calls == 2
        assert len([c for c in zalo.calls_of("oa", "message/cs") if c.params.get("ok")]) == 40
        with session_scope(db_url) as s:                       # the pair in use is the one saved
            row = s.get(ZaloToken, APP_ID)
            assert (row.refresh_token, row.access_token) == (zalo.refresh_token, zalo.access_token)
        # a restarted gateway starts from the saved pair, not the spent first refresh token
        again = OATokens(db_url, APP_ID, FIRST_REFRESH_TOKEN, zalo.url, APP_SECRET, http)
        assert await again.get() == zalo.access_token and zalo.refresh_calls == 2
    finally:
        await http.close()
        await zalo.stop()


async def test_oa_window_closed_tells_the_officer_in_the_staff_topic(sqlite_url):
    from tests.test_handoff_telegram import RasaStandIn, STAFF, OFFICER_A

    tg = await FakeTelegram().start()
    tg.add_forum(STAFF, members={OFFICER_A: {"first_name": "Chị Lan", "username": "lan_tuphap"}})
    zalo = await FakeZalo().start()
    rasa = RasaStandIn()
    await rasa.start()
    settings = zalo_settings(sqlite_url, rasa.url, zalo, telegram_token=tg.token, telegram_base_url=tg.base_url,
                             telegram_base_file_url=tg.base_file_url, staff_chat_id=STAFF,
                             officer_telegram_ids=frozenset({OFFICER_A}))
    try:
        async with running_gateway(settings) as client:
            h = H(zalo, rasa, client, sqlite_url)
            await h.oa_say("cho tôi gặp cán bộ")
            await tg.wait_for(lambda: tg.forums[STAFF]["topics"])
            [thread] = tg.forums[STAFF]["topics"]
            assert "Kênh: Zalo OA" in tg.topic_texts(STAFF, thread)[0]
            await tg.push_group_message(STAFF, OFFICER_A, "/nhan", thread_id=thread, first_name="Chị Lan")
            await zalo.wait_for(lambda: any("đã nhận" in t for t in zalo.oa_texts_to(FOLLOWER)))
            # the officer's photo reaches the resident as a Zalo image (upload endpoint)
            tg.add_file("mau_anh", jpeg_with_gps())
            await tg.push_group_message(STAFF, OFFICER_A, None, thread_id=thread, first_name="Chị Lan",
                                        photo_file_id="mau_anh", caption="Ảnh mẫu")
            await zalo.wait_for(lambda: any((m.get("attachment") or {}).get("payload", {}).get("elements")
                                            for m in zalo.oa_messages_to(FOLLOWER)))
            [image] = [m for m in zalo.oa_messages_to(FOLLOWER) if (m.get("attachment") or {}).get("payload", {})
                       .get("template_type") == "media"]
            assert image["attachment"]["payload"]["elements"][0]["attachment_id"].startswith("att")
            await zalo.wait_for(lambda: "Ảnh mẫu" in zalo.oa_texts_to(FOLLOWER))
            assert zalo.calls_of("oa", "upload/image")[0].params["size"] == len(jpeg_with_gps())
            zalo.window_closed.add(FOLLOWER)                    # the resident went quiet for 7 days
            await tg.push_group_message(STAFF, OFFICER_A, "Anh mang hộ chiếu nhé.", thread_id=thread,
                                        first_name="Chị Lan")
            await tg.wait_for(lambda: GIVEN_UP_TEXT["window_closed"] in tg.topic_texts(STAFF, thread))
            assert "Anh mang hộ chiếu nhé." not in zalo.oa_texts_to(FOLLOWER)
            zalo.window_closed.discard(FOLLOWER)                # answered the OA again: reachable
            state = await client.app[DELIVERY_KEY].send(Address("zalo_oa", FOLLOWER),
                                                        [OutgoingMessage("Cán bộ: mời anh đến xã sáng mai.")], "officer")
            assert state == "sent" and "Cán bộ: mời anh đến xã sáng mai." in zalo.oa_texts_to(FOLLOWER)
    finally:
        await rasa.stop()
        await zalo.stop()
        await tg.stop()


async def test_a_reminder_reaches_a_zalo_resident_and_its_choices_work(sqlite_url):
    from bot.reminders import NoticeSender
    from hotich.booking.clock import fixed_clock
    from tests.booking_helpers import profile, service
    from tests.test_reminders import CHECKLIST, DUE, FRI

    booking = service(sqlite_url).book(f"zalo_bot:{RESIDENT}", "khai_sinh", FRI, 9 * 60, "Người Zalo", "0912345678")
    async with harness(sqlite_url) as h:
        sender = NoticeSender(sqlite_url, profile(), CHECKLIST, h.web.app[DELIVERY_KEY], fixed_clock(DUE))
        assert await sender.run_once() == 1
        await h.zalo.wait_for(lambda: h.zalo.bot_texts_to(RESIDENT))
        [reminder] = h.zalo.bot_texts_to(RESIDENT)
        assert "Nhắc lịch hẹn" in reminder and booking.code in reminder and "1. ✅ Vẫn đến" in reminder
        await h.bot_say("3")                                      # "❌ Hủy lịch"
        assert h.rasa.messages() == [f'/cancel_appointment{{"booking_code":"{booking.code}"}}']


async def test_bot_webhook_without_a_secret_stays_off_and_the_gateway_runs(sqlite_url):
    async with harness(sqlite_url, zalo_bot_mode="webhook", zalo_bot_webhook_secret="") as h:
        update = {"ok": True, "result": h.zalo.bot_update(RESIDENT, "message.text.received", text="lệ phí")}
        async with aiohttp.ClientSession() as http:
            async with http.post(h.web.make_url("/zalo/bot/webhook"), json=update) as r:
                assert r.status in (404, 405)
        assert (await h.web.get("/healthz")).status == 200 and h.rasa.messages() == []
