"""Web chat API against the real GatewayCore and a small local server playing Rasa's REST webhook.

Covers what a resident notices: answers and buttons, QR deep links, a Vietnamese error for bad
requests, and — when Rasa is down — a 503 that says the message was kept, then the answer
delivered exactly once when Rasa is back (also across a gateway restart).
"""
from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core import EMPTY_TEXT, SERVICE_DOWN_TEXT
from hotich.db.models import OutboundMessage, PendingMessage, QrScan, Resident
from hotich.db.session import session_scope
from tests.fake_rasa import RasaServer
from tests.gateway_helpers import gateway_settings, running_gateway

SESSION = "test-session_0001"
GREETING = "Xin chào! Mình là trợ lý hộ tịch.\nBạn muốn hỏi thủ tục nào?"


class FakeRasa(RasaServer):
    """Answers like Rasa's REST channel; can be stopped and started again on the same port."""

    def __init__(self) -> None:
        super().__init__()
        self.actions_down = False

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((body["sender"], body["message"]))
        if self.actions_down or body["message"] == "/silent":
            return web.json_response([])   # what Rasa answers when its actions server is down
        return web.json_response(self.reply(body["message"]))

    @staticmethod
    def reply(message: str) -> list[dict]:
        if message == "/greet":
            return [{"text": GREETING, "buttons": [
                {"title": "Khai sinh", "payload": '/choose_procedure{"procedure":"khai_sinh"}'},
                {"title": "Kết hôn", "payload": '/choose_procedure{"procedure":"ket_hon"}'}]}]
        if message.startswith("/choose_procedure"):
            proc = json.loads(message[len("/choose_procedure"):])["procedure"]
            return [{"text": f"Tổng quan thủ tục {proc}"}]
        return [{"text": f"Bạn hỏi: {message}"}]


@asynccontextmanager
async def gateway(db_url: str, rasa_url: str, retry_interval_s: float = 0.2):
    async with running_gateway(gateway_settings(db_url, rasa_url), retry_interval_s=retry_interval_s) as client:
        yield client


@asynccontextmanager
async def fake_rasa(up: bool = True):
    fake = FakeRasa()
    if up:
        await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def post_chat(client: TestClient, **body) -> tuple[int, dict]:
    resp = await client.post("/api/chat", json={"session_id": SESSION, **body})
    return resp.status, await resp.json()


async def wait_pending(client: TestClient, timeout_s: float = 10) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        resp = await client.post("/api/pending", json={"session_id": SESSION})
        assert resp.status == 200
        data = await resp.json()
        if data["replies"]:
            return data["replies"]
        await asyncio.sleep(0.1)
    raise AssertionError("queued answer never delivered")


async def test_resident_gets_answers_and_buttons(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        status, data = await post_chat(client, start="")
        assert status == 200
        [greeting] = data["messages"]
        assert greeting["text"] == GREETING
        assert [b["title"] for b in greeting["buttons"]] == ["Khai sinh", "Kết hôn"]

        status, data = await post_chat(client, payload=greeting["buttons"][1]["payload"])
        assert status == 200 and data["messages"][0]["text"] == "Tổng quan thủ tục ket_hon"

        status, data = await post_chat(client, text="làm giấy khai sinh cần giấy tờ gì")
        assert status == 200
        assert data["messages"] == [{"text": "Bạn hỏi: làm giấy khai sinh cần giấy tờ gì", "buttons": []}]

    assert [s for s, _ in fake.received] == [f"web:{SESSION}"] * 3
    with session_scope(db_url) as s:
        assert s.scalar(select(Resident.channel_user_id).where(Resident.channel == "web")) == SESSION


async def test_qr_deep_link_opens_the_procedure_and_counts_the_scan(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        status, data = await post_chat(client, start="kh_TT01")
        assert status == 200 and data["messages"][0]["text"] == "Tổng quan thủ tục ket_hon"
        # A link that is not one of ours still opens the chat with the greeting.
        status, data = await post_chat(client, start="<script>")
        assert status == 200 and data["messages"][0]["text"] == GREETING
    with session_scope(db_url) as s:
        scans = s.execute(select(QrScan.board_code, QrScan.procedure, QrScan.channel)).all()
    assert scans == [("TT01", "ket_hon", "web")]


async def test_rasa_down_message_is_kept_and_answered_exactly_once(db_url):
    async with fake_rasa(up=False) as fake, gateway(db_url, fake.url) as client:
        status, data = await post_chat(client, text="lệ phí kết hôn bao nhiêu")
        assert status == 503
        assert data == {"error": SERVICE_DOWN_TEXT, "queued": True}

        resp = await client.post("/api/pending", json={"session_id": SESSION})
        assert await resp.json() == {"replies": [], "waiting": 1}

        await fake.start()
        [reply] = await wait_pending(client)
        assert [m["text"] for m in reply["messages"]] == ["Bạn hỏi: lệ phí kết hôn bao nhiêu"]

        # Later polls (or a second tab) never get it again; nothing is waiting any more.
        await asyncio.sleep(0.5)
        resp = await client.post("/api/pending", json={"session_id": SESSION})
        assert await resp.json() == {"replies": [], "waiting": 0}

    assert fake.received == [(f"web:{SESSION}", "lệ phí kết hôn bao nhiêu")]
    with session_scope(db_url) as s:
        # Delivered, and the resident's words and the answer are no longer stored.
        assert s.scalar(select(PendingMessage)) is None
        row = s.scalar(select(OutboundMessage))
        assert row.state == "sent" and row.messages is None


async def test_newer_message_does_not_overtake_a_queued_one(db_url):
    async with fake_rasa(up=False) as fake, gateway(db_url, fake.url, retry_interval_s=60) as client:
        assert (await post_chat(client, text="câu hỏi thứ nhất"))[0] == 503
        await fake.start()
        status, data = await post_chat(client, text="câu hỏi thứ hai")
        assert status == 200 and data["messages"][0]["text"] == "Bạn hỏi: câu hỏi thứ hai"
        [reply] = await wait_pending(client, timeout_s=2)
        assert reply["messages"][0]["text"] == "Bạn hỏi: câu hỏi thứ nhất"
    assert [m for _, m in fake.received] == ["câu hỏi thứ nhất", "câu hỏi thứ hai"]


async def test_actions_server_down_also_keeps_the_message(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        fake.actions_down = True
        status, data = await post_chat(client, payload='/choose_procedure{"procedure":"khai_tu"}')
        assert status == 503 and data["queued"] is True
        fake.actions_down = False
        [reply] = await wait_pending(client)
        assert reply["messages"][0]["text"] == "Tổng quan thủ tục khai_tu"


async def test_a_message_rasa_never_answers_does_not_block_the_resident(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        status, _ = await post_chat(client, payload="/silent")        # Rasa answers others, never this
        assert status == 503
        resp = await client.post("/api/chat", json={"session_id": "someone-else-01", "text": "xin chào"})
        assert resp.status == 200
        [reply] = await wait_pending(client)
        assert reply["messages"][0]["text"] == EMPTY_TEXT
        status, data = await post_chat(client, text="lệ phí khai sinh")
        assert status == 200 and data["messages"][0]["text"] == "Bạn hỏi: lệ phí khai sinh"
    assert [m for _, m in fake.received].count("/silent") == 3


async def test_queued_message_survives_a_gateway_restart(db_url):
    async with fake_rasa(up=False) as fake:
        async with gateway(db_url, fake.url) as client:
            status, _ = await post_chat(client, start="ks_TT01")
            assert status == 503
        await fake.start()
        async with gateway(db_url, fake.url) as client:
            [reply] = await wait_pending(client)
            assert reply["messages"][0]["text"] == "Tổng quan thủ tục khai_sinh"
    with session_scope(db_url) as s:   # the scan was counted once, on arrival
        assert len(s.scalars(select(QrScan)).all()) == 1


async def test_bad_requests_get_a_vietnamese_error(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        cases = [
            {"session_id": "short", "text": "xin chào"},
            {"session_id": "có dấu không hợp lệ", "text": "xin chào"},
            {"session_id": "x" * 65, "text": "xin chào"},
            {"text": "xin chào"},
            {"session_id": SESSION},
            {"session_id": SESSION, "text": "a", "payload": "/greet"},
            {"session_id": SESSION, "text": "   "},
            {"session_id": SESSION, "text": 42},
        ]
        for body in cases:
            resp = await client.post("/api/chat", json=body)
            assert resp.status == 400, body
            assert (await resp.json())["error"].startswith(("Phiên", "Yêu cầu", "Bạn chưa")), body

        for raw in (b"{not json", b"[1, 2]", "xin chào".encode(), b"\xff\xfe"):
            resp = await client.post("/api/chat", data=raw, headers={"Content-Type": "application/json"})
            assert resp.status == 400
            assert (await resp.json())["error"] == "Yêu cầu không hợp lệ: nội dung gửi lên không đúng định dạng."

        big = json.dumps({"session_id": SESSION, "text": "á" * 9000})   # > 16 KB in UTF-8
        resp = await client.post("/api/chat", data=big, headers={"Content-Type": "application/json"})
        assert resp.status == 400
        assert (await resp.json())["error"] == "Tin nhắn quá dài. Bạn vui lòng rút gọn rồi gửi lại."

        resp = await client.post("/api/pending", json={"session_id": "../etc"})
        assert resp.status == 400 and "Phiên" in (await resp.json())["error"]
    assert fake.received == []   # nothing invalid reached Rasa


async def test_page_and_health(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        resp = await client.get("/")
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
        assert "Xã Song Phượng" in page and 'lang="vi"' in page
        assert '<label for="message"' in page
        assert "http" not in page.replace('http-equiv', '')   # no external CDN or fonts
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        for path in ("/static/chat.js", "/static/chat.css"):
            assert (await client.get(path)).status == 200
        assert ".innerHTML" not in await (await client.get("/static/chat.js")).text()
        resp = await client.get("/healthz")
        assert resp.status == 200 and (await resp.json())["status"] == "ok"


async def test_a_replayed_start_counts_the_scan_once(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        for _ in range(5):                                   # reloads, or a script replaying the link
            status, _ = await post_chat(client, start="kh_TT01")
            assert status == 200
        status, _ = await post_chat(client, start="ks_TT01")  # another code is another arrival
        assert status == 200
        resp = await client.post("/api/chat", json={"session_id": "second-visitor-1", "start": "kh_TT01"})
        assert resp.status == 200
    with session_scope(db_url) as s:
        scans = sorted(s.execute(select(QrScan.board_code, QrScan.procedure)).all())
    assert scans == [("TT01", "ket_hon"), ("TT01", "ket_hon"), ("TT01", "khai_sinh")]


async def test_residents_cannot_send_internal_intents(db_url):
    async with fake_rasa() as fake, gateway(db_url, fake.url) as client:
        status, data = await post_chat(client, payload='/handoff_returned{"procedure":""}')
        assert status == 400 and data["error"].startswith("Yêu cầu không hợp lệ")
        status, data = await post_chat(client, text='/handoff_returned{"procedure":""}')   # typed: plain text
        assert status == 200
    assert fake.received == [(f"web:{SESSION}", 'handoff_returned{"procedure":""}')]
