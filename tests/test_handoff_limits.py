"""Calling an officer cannot be used to flood the staff group: per web session and per address,
and a cap on escalations waiting at once. Over a limit the resident gets the officer's contact."""
from __future__ import annotations

from bot.handoff import CANCEL_PAYLOAD, LIMITED_TEXT
from tests.test_handoff_telegram import harness

ASK = '/talk_to_officer{"procedure":"khai_sinh"}'


def limits(**rates: tuple[int, int]) -> dict:
    """Settings of the gateway's web limits (COUNT, SECONDS): two escalations per session an hour."""
    base = dict(chat_session=(100, 60), chat_ip=(1000, 60), upload_session=(10, 60), upload_ip=(100, 60),
                escalation_session=(2, 3600), escalation_ip=(100, 3600), new_sessions_ip=(1000, 60))
    base.update(rates)
    return {f"web_limit_{k}": v for k, v in base.items()}


async def web_say(h, session: str, **body) -> list[dict]:
    resp = await h.web.post("/api/chat", json={"session_id": session, **body})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["messages"]


async def test_one_web_session_calling_again_and_again_gets_the_contact_instead(sqlite_url):
    async with harness(sqlite_url, **limits()) as h:
        for _ in range(2):
            [ack] = await web_say(h, "caller-session-1", payload=ASK)
            assert ack["custom"]["handoff"] == "waiting"
            await web_say(h, "caller-session-1", payload=CANCEL_PAYLOAD)
        [refused] = await web_say(h, "caller-session-1", payload=ASK)
        assert refused["text"].startswith(LIMITED_TEXT) and "handoff" not in (refused.get("custom") or {})
        await h.tg.wait_for(lambda: len(h.topics()) == 1)   # the staff group saw one conversation
        [ack] = await web_say(h, "other-session-1", payload=ASK)   # someone else still can
        assert ack["custom"]["handoff"] == "waiting"


async def test_one_address_has_an_escalation_budget_across_sessions(sqlite_url):
    async with harness(sqlite_url, **limits(escalation_ip=(3, 3600))) as h:
        kinds = []
        for i in range(5):
            [reply] = await web_say(h, f"same-address-{i:03d}", payload=ASK)
            kinds.append((reply.get("custom") or {}).get("handoff"))
    assert kinds == ["waiting"] * 3 + [None] * 2


async def test_escalations_waiting_at_once_are_capped(sqlite_url):
    async with harness(sqlite_url, **limits(), handoff_max_open=2) as h:
        for i in range(2):
            [ack] = await web_say(h, f"waiting-{i:04d}", payload=ASK)
            assert ack["custom"]["handoff"] == "waiting"
        [refused] = await web_say(h, "waiting-9999", payload=ASK)
        assert refused["text"].startswith(LIMITED_TEXT)
        # asking again while already waiting is not a new escalation: the queue position
        [again] = await web_say(h, "waiting-0000", payload=ASK)
        assert again["custom"]["handoff"] == "waiting"
