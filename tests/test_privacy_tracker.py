""""Xóa dữ liệu của tôi" reaches Rasa's copy of the conversation too, and retention expires it.

The local Rasa stand-in keeps its conversations the way Rasa's SQLTrackerStore does — an `events`
table in its own database, and at the end of each turn it inserts every event of its in-memory
tracker beyond the number of rows it finds — so deleting during the erasing turn would be undone.
Its "actions" call the same hotich code the actions server calls (booking, question log, erasure).
"""
from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta, timezone

from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text

from bot.erasure import TrackerErasures
from hotich.booking.phone import find_phone
from hotich.config import ROOT
from hotich.db.base import Base
from hotich.db.models import Resident, TrackerErasure
from hotich.db.session import get_engine, session_scope
from hotich.kb import KnowledgeBase
from hotich.privacy.erase import erase_resident_data
from hotich.privacy.tracker import TrackerStore
from hotich.questions import log_question
from hotich.uploads.service import UploadService
from hotich.uploads.storage import BlobStore
from tests.booking_helpers import service as booking_service
from tests.privacy_helpers import rows_mentioning
from tests.fake_rasa import RasaServer
from tests.gateway_helpers import gateway_settings, running_gateway

PHONE = "0912345678"
TYPED = "số của em là 0912 345 678 ạ"
ALICE, BOB = "alice-session-01", "bob-session-0002"
THU = date(2026, 12, 3)


def make_tracker_db(url: str) -> None:
    """Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent)."""
    with create_engine(url).begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                       "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                       "action_name VARCHAR(255), data TEXT)"))


class TrackerRasa(RasaServer):
    def __init__(self, tracker_url: str, db_url: str, tmp_path) -> None:
        super().__init__()
        self.engine = create_engine(tracker_url)
        self.db_url = db_url
        self.booking = booking_service(db_url)
        self.uploads = UploadService(db_url, BlobStore(tmp_path / "up", Fernet.generate_key().decode()),
                                     KnowledgeBase.load(ROOT / "data" / "kb"))

    def _events(self, sender: str) -> list[dict]:
        with self.engine.connect() as c:
            return [json.loads(d) for (d,) in c.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                                        {"s": sender})]

    def _save(self, sender: str, tracker: list[dict]) -> None:
        with self.engine.begin() as c:
            n = c.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
            for ev in tracker[n:]:   # SQLTrackerStore._additional_events: what it believes missing
                c.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, :d)"),
                          {"s": sender, "t": ev["event"], "ts": ev["timestamp"], "d": json.dumps(ev, ensure_ascii=False)})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        self.received.append((sender, message))
        tracker = self._events(sender)
        tracker.append({"event": "user", "text": message, "timestamp": time.time()})
        if message == "/erase_yes":
            erase_resident_data(self.db_url, sender, self.uploads, self.booking)   # what the action does
            reply = "Đã xóa toàn bộ dữ liệu của anh/chị."
        elif (phone := find_phone(message)[0]) is not None:
            tracker.append({"event": "slot", "name": "phone", "value": phone, "timestamp": time.time()})
            self.booking.book(sender, "khai_sinh", THU, 9 * 60, "Nguyễn Thị Lan", phone)
            reply = "Dạ, em đã đặt lịch cho anh/chị."
        else:
            reply = f"Dạ, anh/chị hỏi: {message}"
        log_question(self.db_url, sender, message, "inform", None, 0.9, "answered")
        tracker.append({"event": "bot", "text": reply, "timestamp": time.time()})
        self._save(sender, tracker)
        return web.json_response([{"text": reply}])


@asynccontextmanager
async def stack(db_url: str, tmp_path):
    tracker_url = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    make_tracker_db(tracker_url)
    fake = TrackerRasa(tracker_url, db_url, tmp_path)
    await fake.start()
    # The gateway erases after each turn; the test runs the background passes itself, without waiting.
    erasures = TrackerErasures(db_url, TrackerStore(tracker_url), retention_days=30, grace_s=0)
    try:
        async with running_gateway(gateway_settings(db_url, fake.url, rasa_tracker_url=tracker_url)) as client:
            yield client, fake, erasures
    finally:
        await fake.stop()
        fake.engine.dispose()


async def chat(client: TestClient, session: str, text_: str) -> dict:
    key = "payload" if text_.startswith("/") else "text"
    resp = await client.post("/api/chat", json={"session_id": session, key: text_})
    assert resp.status == 200
    return await resp.json()


async def test_the_typed_phone_number_is_nowhere_after_erasure(db_url, tmp_path):
    async with stack(db_url, tmp_path) as (client, fake, erasures):
        for session in (ALICE, BOB):
            await chat(client, session, "em muốn đặt lịch khai sinh")
            await chat(client, session, TYPED if session == ALICE else "số em 0987 654 321")
        assert fake._events(f"web:{ALICE}") and any(PHONE in json.dumps(e) for e in fake._events(f"web:{ALICE}"))

        done = await chat(client, ALICE, "/erase_yes")
        assert "Đã xóa" in done["messages"][0]["text"]

        # read the tracker store after the reply: Alice's conversation is gone, Bob's is not
        assert fake._events(f"web:{ALICE}") == []
        assert len(fake._events(f"web:{BOB}")) == 5      # user, bot, user, slot, bot

        phone = (PHONE, "0912 345 678")
        commune = [t.name for t in Base.metadata.sorted_tables]
        assert rows_mentioning(get_engine(db_url), phone, commune) == []
        assert rows_mentioning(fake.engine, phone, ["events"]) == []
        assert rows_mentioning(get_engine(db_url), ("0987654321",), commune)   # Bob's booking stays
        # her session id stays only in the erasure request, until the second pass forgets it
        assert rows_mentioning(get_engine(db_url), (ALICE,), commune) == [
            r for r in rows_mentioning(get_engine(db_url), (ALICE,), commune) if r.startswith("tracker_erasures")]
        erasures.run_once(now=datetime.now(timezone.utc) + timedelta(minutes=5))
        assert rows_mentioning(get_engine(db_url), (ALICE,), commune) == []
        assert rows_mentioning(fake.engine, (ALICE,), ["events"]) == []
        with session_scope(db_url) as s:
            assert s.scalar(select(Resident.id).where(Resident.channel_user_id == ALICE)) is None

        # Alice starts again: a fresh conversation, nothing of the old one
        await chat(client, ALICE, "xin chào")
        assert [e["event"] for e in fake._events(f"web:{ALICE}")] == ["user", "bot"]


async def test_a_concurrent_turn_writing_events_back_is_cleaned_by_the_second_pass(db_url, tmp_path):
    async with stack(db_url, tmp_path) as (client, fake, erasures):
        await chat(client, ALICE, TYPED)
        await chat(client, ALICE, "/erase_yes")
        # a second tab's turn that loaded the old tracker before the erasure ends after it
        stale = [{"event": "user", "text": TYPED, "timestamp": time.time() - 5},
                 {"event": "bot", "text": "…", "timestamp": time.time() - 4}]
        fake._save(f"web:{ALICE}", stale)
        assert fake._events(f"web:{ALICE}")
        erasures.run_once(now=datetime.now(timezone.utc) + timedelta(minutes=5))
        assert fake._events(f"web:{ALICE}") == []
        with session_scope(db_url) as s:
            assert s.scalar(select(func.count()).select_from(TrackerErasure)) == 0   # request forgotten


async def test_an_erasure_whose_reply_never_came_is_done_by_the_background_job(db_url, tmp_path):
    async with stack(db_url, tmp_path) as (client, fake, erasures):
        await chat(client, ALICE, TYPED)
        erase_resident_data(db_url, f"web:{ALICE}")      # e.g. Rasa failed before answering
        assert fake._events(f"web:{ALICE}")
        erasures.run_once(now=datetime.now(timezone.utc) + timedelta(minutes=5))
        assert fake._events(f"web:{ALICE}") == []


async def test_retention_expires_idle_conversations_and_resident_rows(db_url, tmp_path):
    async with stack(db_url, tmp_path) as (client, fake, erasures):
        await chat(client, ALICE, "xin chào")
        await chat(client, BOB, "xin chào")
        old = time.time() - 40 * 86400
        with fake.engine.begin() as c:
            c.execute(text("UPDATE events SET timestamp = :t WHERE sender_id = :s"), {"t": old, "s": f"web:{ALICE}"})
        with session_scope(db_url) as s:
            s.execute(Resident.__table__.update().where(Resident.channel_user_id == ALICE)
                      .values(last_seen_at=datetime.now(timezone.utc) - timedelta(days=40)))
        erasures.retention_once()
        assert fake._events(f"web:{ALICE}") == [] and len(fake._events(f"web:{BOB}")) == 2
        with session_scope(db_url) as s:
            assert sorted(s.scalars(select(Resident.channel_user_id))) == [BOB]
