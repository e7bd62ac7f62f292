"""10,000 random, Unicode-heavy, malformed and oversized requests through the web API (real
gateway, the local Rasa stand-in): never a 5xx, never a crash, every answer in Vietnamese."""
from __future__ import annotations

import json
import random
import re

from bot.web.limits import Rate, WebLimits, db_known_session
from tests.gateway_helpers import gateway_settings, running_gateway
from tests.test_web_api import fake_rasa

N = 10_000
VIETNAMESE = re.compile(r"[ăâđêôơưạảãáàấầẩẫậắằẳẵặẹẻẽéèếềểễệịỉĩíìọỏõóòốồổỗộớờởỡợụủũúùứừửữựỵỷỹýỳ]", re.I)
ALPHABETS = [
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ",
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b",                # combining tone marks (NFD)
    "😀🙏🏽👨‍👩‍👧‍👦🇻🇳\u200d\ufe0f",                                    # emoji, ZWJ sequences
    "\u202e\u202d\u2066\u2069\u200b\u200e\ufeff",                      # bidi overrides, zero-width
    "漢字かなカナ한국어العربيةעבריתไทย",
    "\x00\x01\x07\x1b\x7f\t\r\n",                                      # control characters
    "{}[]\"'\\/<>&;%$#@!`|",                                           # JSON/HTML/shell syntax
    "\ud800\udfff",                                                    # lone surrogates
]


def random_text(rng: random.Random) -> str:
    n = rng.choice([1, 2, 5, 20, 100, 500, 2500, 9000])
    pool = "".join(rng.sample(ALPHABETS, rng.randint(1, 4)))
    return "".join(rng.choice(pool) for _ in range(n))


def random_body(rng: random.Random, sessions: list[str]) -> bytes | dict | str:
    session = rng.choice(sessions)
    roll = rng.random()
    if roll < 0.55:
        return {"session_id": session, "text": random_text(rng)}
    if roll < 0.65:
        return {"session_id": session, "payload": rng.choice(["/greet", '/choose_procedure{"procedure":"ket_hon"}',
                                                              "/" + random_text(rng), '/handoff_returned'])}
    if roll < 0.70:
        return {"session_id": session, "start": rng.choice(["kh_TT01", "", random_text(rng)[:70]])}
    if roll < 0.78:   # wrong types and shapes
        return rng.choice([{"session_id": session, "text": 10 ** 400}, {"session_id": [session], "text": "a"},
                           {"session_id": session, "text": None, "payload": None}, {"session_id": session,
                            "text": {"$ne": 1}}, {"session_id": random_text(rng)[:80], "text": "xin chào"}, [], 1, None])
    if roll < 0.86:   # not JSON, or JSON nobody sends
        return rng.choice([b"\xff\xfe\x00", b"{" * 5000, b'{"session_id":' + b"[" * 3000, b"",
                           random_text(rng).encode("utf-8", "surrogatepass"), b'{"a":1}' * 3000])
    if roll < 0.93:   # oversized
        return {"session_id": session, "text": "á" * rng.choice([8000, 20000, 200_000])}
    return json.dumps({"session_id": session, "text": random_text(rng)}, ensure_ascii=rng.random() < 0.5)


async def test_ten_thousand_hostile_messages(sqlite_url):
    rng = random.Random(20261202)
    sessions = [f"fuzz-{i:04d}-{rng.getrandbits(32):08x}" for i in range(300)]
    generous = dict(chat_session=Rate(40, 60), chat_ip=Rate(100_000, 60), upload_session=Rate(10, 60),
                    upload_ip=Rate(100, 60), escalation_session=Rate(3, 3600), escalation_ip=Rate(30, 3600),
                    new_sessions_ip=Rate(100_000, 60))
    statuses: dict[int, int] = {}
    limits = WebLimits(**generous, known_session=db_known_session(sqlite_url))
    async with fake_rasa() as fake, running_gateway(gateway_settings(sqlite_url, fake.url), limits=limits) as client:
        for i in range(N):
            body = random_body(rng, sessions)
            if isinstance(body, (dict, list, int)) or body is None:
                raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            else:
                raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
            resp = await client.post("/api/chat", data=raw, headers={"Content-Type": "application/json"})
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            assert resp.status < 500, (i, resp.status, raw[:200])
            data = await resp.json()
            if resp.status == 200:
                assert data["messages"], (i, raw[:200])
                assert all(VIETNAMESE.search(m["text"]) for m in data["messages"]), (i, data)
            else:
                assert VIETNAMESE.search(data["error"]), (i, data)
        # still alive and answering normally
        resp = await client.post("/api/chat", json={"session_id": "after-the-storm", "text": "xin chào"})
        assert resp.status == 200
    assert statuses.get(200, 0) > N // 3 and statuses.get(400, 0) > N // 10, statuses
