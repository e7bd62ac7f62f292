"""Web chat under abuse: rate limits answer 429 in Vietnamese, residents sharing one carrier address
still get through, bodies are read whole however they arrive, and session ids stay out of logs."""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.web.limits import Rate, WebLimits, db_known_session
from hotich.db.models import Resident
from hotich.db.session import session_scope
from tests.gateway_helpers import gateway_settings, running_gateway
from tests.test_web_api import FakeRasa, fake_rasa

SESSION = "limits-session-0001"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def limits(db_url: str, clock: Clock, trust_proxy: bool = False, **rates: Rate) -> WebLimits:
    base = dict(chat_session=Rate(5, 60), chat_ip=Rate(1000, 60), upload_session=Rate(3, 600),
                upload_ip=Rate(1000, 600), escalation_session=Rate(2, 3600), escalation_ip=Rate(100, 3600),
                new_sessions_ip=Rate(1000, 600))
    base.update(rates)
    return WebLimits(**base, known_session=db_known_session(db_url), trust_proxy=trust_proxy, clock=clock)


@asynccontextmanager
async def web_client(db_url: str, rasa_url: str, web_limits: WebLimits | None = None):
    """The real gateway; `web_limits` None: the limits of the settings (the defaults)."""
    async with running_gateway(gateway_settings(db_url, rasa_url), limits=web_limits) as client:
        yield client


async def say(client: TestClient, text: str, session: str = SESSION, ip: str | None = None):
    headers = {"X-Forwarded-For": ip} if ip else None
    resp = await client.post("/api/chat", json={"session_id": session, "text": text}, headers=headers)
    return resp.status, await resp.json(), resp.headers


async def test_one_session_flooding_gets_429_in_vietnamese_and_recovers(db_url):
    clock = Clock()
    async with fake_rasa() as fake, web_client(db_url, fake.url, limits(db_url, clock)) as client:
        for i in range(5):
            status, data, _ = await say(client, f"câu hỏi {i}")
            assert status == 200, data
        status, data, headers = await say(client, "câu hỏi thứ sáu")
        assert status == 429
        assert data["error"].startswith("Dạ, anh/chị gửi tin nhắn nhanh quá")
        assert int(headers["Retry-After"]) >= 1
        # another resident is not affected
        status, _, _ = await say(client, "xin chào", session="another-resident-01")
        assert status == 200
        clock.t += 15   # 5 per minute: one message back every 12 s
        status, _, _ = await say(client, "câu hỏi thứ bảy")
        assert status == 200
    assert [m for _, m in fake.received].count("câu hỏi thứ sáu") == 0


async def test_new_sessions_per_address_are_capped_but_known_sessions_continue(db_url):
    clock = Clock()
    web_limits = limits(db_url, clock, trust_proxy=True, new_sessions_ip=Rate(3, 600))   # behind our TLS proxy
    async with fake_rasa() as fake, web_client(db_url, fake.url, web_limits) as client:
        for i in range(3):
            status, _, _ = await say(client, "xin chào", session=f"new-session-{i:04d}", ip="203.0.113.7")
            assert status == 200
        # a script inventing a fresh session id for every message
        status, data, _ = await say(client, "xin chào", session="new-session-9999", ip="203.0.113.7")
        assert status == 429 and "cuộc trò chuyện mới" in data["error"]
        # the residents already talking go on; another address is not affected
        status, _, _ = await say(client, "khai sinh cần gì", session="new-session-0001", ip="203.0.113.7")
        assert status == 200
        status, _, _ = await say(client, "xin chào", session="other-address-01", ip="198.51.100.2")
        assert status == 200


async def test_a_session_recorded_before_a_restart_is_not_new(db_url):
    with session_scope(db_url) as s:
        s.add(Resident(channel="web", channel_user_id="came-back-0001"))
    web_limits = limits(db_url, Clock(), new_sessions_ip=Rate(1, 600))
    async with fake_rasa() as fake, web_client(db_url, fake.url, web_limits) as client:
        assert (await say(client, "xin chào", session="came-back-0001"))[0] == 200
        assert (await say(client, "xin chào", session="brand-new-00001"))[0] == 200
        assert (await say(client, "xin chào", session="brand-new-00002"))[0] == 429


async def test_one_address_over_its_limit_gets_429(db_url):
    web_limits = limits(db_url, Clock(), chat_ip=Rate(4, 60))
    async with fake_rasa() as fake, web_client(db_url, fake.url, web_limits) as client:
        statuses = [(await say(client, "xin chào", session=f"carrier-user-{i:03d}"))[0] for i in range(6)]
    assert statuses == [200] * 4 + [429] * 2


async def test_many_residents_behind_one_carrier_address_with_default_limits(db_url):
    """100 residents behind one CGNAT address, 3 messages each within a minute: all answered."""
    async with fake_rasa() as fake, web_client(db_url, fake.url) as client:
        async def resident(i: int) -> list[int]:
            return [(await say(client, f"hỏi {n}", session=f"village-{i:04d}"))[0] for n in range(3)]
        results = await asyncio.gather(*(resident(i) for i in range(100)))
    assert all(s == 200 for r in results for s in r)


async def test_uploads_per_session_are_limited(db_url):
    async with fake_rasa() as fake, web_client(db_url, fake.url, limits(db_url, Clock())) as client:
        statuses = []
        for _ in range(4):
            fd = FormData()
            fd.add_field("session_id", SESSION)
            fd.add_field("file", b"%PDF-1.4 not really", filename="a.pdf")
            resp = await client.post("/api/upload", data=fd)
            statuses.append(resp.status)
            body = await resp.json()
        assert statuses[:3] != [429] * 3 and statuses[3] == 429
        assert body["error"].startswith("Dạ, anh/chị gửi nhiều tệp quá nhanh")


async def test_a_large_multipart_field_gets_413_in_vietnamese(db_url):
    async with fake_rasa() as fake, web_client(db_url, fake.url) as client:
        fd = FormData()
        fd.add_field("session_id", "s" * 200_000)
        fd.add_field("file", b"%PDF-1.4", filename="a.pdf")
        resp = await client.post("/api/upload", data=fd)
        assert resp.status == 413
        assert "quá dài" in (await resp.json())["error"]


async def test_a_message_arriving_in_two_tcp_segments_is_read_whole(db_url):
    text = "Cho em hỏi " + "thủ tục khai sinh cho con " * 100          # ~3 KB in UTF-8
    body = json.dumps({"session_id": SESSION, "text": text}, ensure_ascii=False).encode()
    assert len(body) > 3000
    async with fake_rasa() as fake, web_client(db_url, fake.url) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body[:1000])
        await writer.drain()
        await asyncio.sleep(0.2)          # the rest arrives later, as on a slow mobile network
        writer.write(body[1000:])
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), raw[:300]
    assert fake.received and fake.received[0][1].startswith("Cho em hỏi thủ tục khai sinh")


async def test_logs_never_show_the_web_session_id(db_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with fake_rasa(up=False) as fake, web_client(db_url, fake.url) as client:
        assert (await say(client, "lệ phí kết hôn"))[0] == 503        # queued: outbox logs too
        await fake.start()
        assert (await say(client, "lệ phí khai sinh"))[0] == 200
        resp = await client.post("/api/pending", json={"session_id": SESSION})
        assert resp.status == 200
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "web chat: session=" in logged              # the lines are there, with a pseudonym
    assert SESSION not in logged


def test_a_failed_statement_does_not_show_the_values_in_its_error(db_url):
    with session_scope(db_url) as s:
        s.add(Resident(channel="web", channel_user_id="secret-session-1"))
    try:
        with session_scope(db_url) as s:
            s.add(Resident(channel="web", channel_user_id="secret-session-1", display_name="Nguyễn Thị Lan"))
    except IntegrityError as exc:
        # (PostgreSQL itself names the duplicate key in its DETAIL line; the other values stay hidden)
        assert "Nguyễn Thị Lan" not in str(exc) and "parameters hidden" in str(exc)
    else:
        raise AssertionError("duplicate resident accepted")
    with session_scope(db_url) as s:
        assert s.scalar(select(Resident.display_name)) is None


async def test_pending_answers_are_fetched_with_the_session_in_the_body_not_the_url(db_url):
    async with fake_rasa() as fake, web_client(db_url, fake.url) as client:
        resp = await client.post("/api/pending", json={"session_id": SESSION})
        assert resp.status == 200 and await resp.json() == {"replies": [], "waiting": 0}
        resp = await client.get("/api/pending", params={"session_id": SESSION})
        assert resp.status == 405
        js = await (await client.get("/static/chat.js")).text()
        assert "/api/pending?" not in js and "session_id=" not in js
        page = await (await client.get("/")).text()
        assert 'id="new-chat"' in page and "Cuộc trò chuyện mới" in page
