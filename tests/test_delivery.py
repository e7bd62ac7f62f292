"""The delivery port's guarantees (bot/delivery.py), on SQLite and PostgreSQL: a push is claimed
before it is sent, retried on rate limits and server errors with backoff, given up on permanent
errors with the officers told, kept when the database is busy, and handed over exactly once.
The channel is played by a small pusher recording what a resident would have received."""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import create_engine, select, text

from bot.delivery import Delivery, DeliveryError
from bot.messages import OutgoingMessage
from hotich.db.models import OutboundMessage
from hotich.db.session import session_scope
from hotich.identity import Address

ZALO = Address("zalo_oa", "8001")
WEB = Address("web", "session-0001")


class Channel:
    """What the resident's channel accepted; `failures` are raised first, one per attempt."""

    def __init__(self, db_url: str, failures: list[Exception] | None = None) -> None:
        self.db_url = db_url
        self.failures = list(failures or [])
        self.received: list[tuple[str, list[str], str]] = []
        self.states_seen: list[str] = []

    async def push(self, user_id: str, messages: list[OutgoingMessage], kind: str) -> None:
        with session_scope(self.db_url) as s:   # what the row says while it is being sent
            self.states_seen.append(s.scalar(select(OutboundMessage.state).order_by(OutboundMessage.id.desc())))
        if self.failures:
            raise self.failures.pop(0)
        self.received.append((user_id, [m.text for m in messages], kind))


def run(coro):
    return asyncio.run(coro)


def test_a_push_is_claimed_before_it_is_sent_and_sent_once(db_url):
    channel = Channel(db_url)

    async def scenario():
        d = Delivery(db_url, {"zalo_oa": channel})
        state = await d.send(ZALO, [OutgoingMessage("Nhắc lịch hẹn ngày mai")])
        again = await d.run_once()
        return state, again

    state, again = run(scenario())
    assert state == "sent" and again == 0
    assert channel.states_seen == ["claimed"]
    assert channel.received == [("8001", ["Nhắc lịch hẹn ngày mai"], "notice")]
    with session_scope(db_url) as s:
        row = s.scalar(select(OutboundMessage))
        assert row.state == "sent" and row.messages is None and row.attempts == 1


def test_rate_limits_and_server_errors_are_retried_with_backoff(db_url):
    channel = Channel(db_url, [DeliveryError("rate_limited", permanent=False, retry_after=0.2),
                               DeliveryError("http_502", permanent=False)])

    async def scenario():
        d = Delivery(db_url, {"zalo_oa": channel}, backoff_s=0.3)
        first = await d.send(ZALO, [OutgoingMessage("Kết quả kiểm tra hồ sơ")], "review")
        early = await d.run_once()                 # still inside retry-after: not tried again
        await asyncio.sleep(0.25)
        second = await d.run_once()                # 502: backs off 0.6 s (attempt 2)
        await asyncio.sleep(0.2)
        too_soon = await d.run_once()
        await asyncio.sleep(0.5)
        third = await d.run_once()
        return first, early, second, too_soon, third

    first, early, second, too_soon, third = run(scenario())
    assert (first, early, second, too_soon, third) == ("queued", 0, 0, 0, 1)
    assert channel.received == [("8001", ["Kết quả kiểm tra hồ sơ"], "review")]
    with session_scope(db_url) as s:
        assert s.scalar(select(OutboundMessage.attempts)) == 3


def test_permanent_errors_are_given_up_and_the_officers_told(db_url):
    told: list[tuple[str, str, str]] = []
    channel = Channel(db_url, [DeliveryError("window_closed", permanent=True)])

    async def given_up(to, kind, reason):
        told.append((to.sender_id, kind, reason))

    async def scenario():
        d = Delivery(db_url, {"zalo_oa": channel}, on_given_up=given_up)
        state = await d.send(ZALO, [OutgoingMessage("Cán bộ: anh mang hộ chiếu nhé")], "officer")
        await d.run_once()
        return state

    assert run(scenario()) == "failed"
    assert told == [("zalo_oa:8001", "officer", "window_closed")]
    assert channel.received == [] and len(channel.states_seen) == 1      # not retried
    with session_scope(db_url) as s:
        row = s.scalar(select(OutboundMessage))
        assert row.state == "failed" and row.error == "window_closed" and row.messages is None


def test_the_web_page_collects_its_messages_once_in_order(db_url):
    async def scenario():
        d = Delivery(db_url, {})
        for t in ("một", "hai"):
            assert await d.send(WEB, [OutgoingMessage(t)]) == "queued"
        tabs = await asyncio.gather(d.take("web", WEB.user_id), d.take("web", WEB.user_id))
        return tabs, await d.take("web", WEB.user_id)

    tabs, later = run(scenario())
    got = [m.text for tab in tabs for r in tab for m in r.messages]
    assert sorted(got) == ["hai", "một"] and later == []
    assert [m.text for tab in tabs for r in sorted(tab, key=lambda r: r.id) for m in r.messages] in (
        ["một", "hai"], ["hai", "một"])
    assert [r.messages[0].text for r in sorted(tabs[0] + tabs[1], key=lambda r: r.id)] == ["một", "hai"]


def test_a_locked_database_keeps_the_message_and_sends_it_later(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("a lock with a timeout is set up on PostgreSQL (SQLite waits 30 s for its lock)")
    busy_url = db_url + "?options=-c%20lock_timeout%3D300"
    channel = Channel(db_url)
    locker = create_engine(db_url)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with locker.begin() as c:
            c.execute(text("LOCK TABLE outgoing_messages IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(10)

    t = threading.Thread(target=hold_lock)
    t.start()
    locked.wait(5)

    async def scenario():
        d = Delivery(busy_url, {"zalo_oa": channel})
        state = await d.send(ZALO, [OutgoingMessage("Lịch hẹn của anh/chị đã đổi")])
        still_busy = await d.run_once()
        release.set()
        await asyncio.to_thread(t.join, 5)
        return state, still_busy, await d.run_once()

    try:
        state, still_busy, later = run(scenario())
    finally:
        release.set()
        t.join(5)
        locker.dispose()
    assert (state, still_busy, later) == ("queued", 0, 1)
    assert channel.received == [("8001", ["Lịch hẹn của anh/chị đã đổi"], "notice")]
