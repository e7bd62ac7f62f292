"""Abuse limits of the web chat: requests per session and per address, new sessions per address.

Token buckets ("COUNT per SECONDS", bursts up to COUNT), kept in this process's memory: the
gateway runs as one process, a limit only has to hold for minutes, and a restart that forgets the
counters forgives nobody for long. With several gateway processes behind one proxy each process
counts on its own (the effective limit is multiplied by the number of processes); move the
buckets to a shared store (PostgreSQL/Redis) then.

The defaults (README → Configuration) leave room for a whole village behind one mobile carrier's
shared address (CGNAT): 600 chat messages a minute and 120 new conversations per 10 minutes per
address, while one session gets 20 messages a minute (nobody types faster).

A session id the server has not seen before counts as a new session: the page chooses its own
random id, so a script inventing a fresh id for each message meets the new-session limit of its
address instead of escaping the per-session one.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from aiohttp import web
from sqlalchemy import select

from hotich.config import Settings
from hotich.db.models import Resident
from hotich.db.session import session_scope

CHAT, UPLOAD, POLL, ESCALATION = "chat", "upload", "poll", "escalation"

ERR_CHAT = "Dạ, anh/chị gửi tin nhắn nhanh quá. Anh/chị vui lòng chờ khoảng một phút rồi gửi tiếp ạ."
ERR_UPLOAD = "Dạ, anh/chị gửi nhiều tệp quá nhanh. Anh/chị vui lòng chờ vài phút rồi gửi tiếp ạ."
ERR_BUSY = ("Dạ, hệ thống đang nhận quá nhiều yêu cầu từ cùng một mạng. "
            "Anh/chị vui lòng thử lại sau ít phút ạ.")
ERR_NEW_SESSION = ("Dạ, có quá nhiều cuộc trò chuyện mới từ cùng một mạng. "
                   "Anh/chị vui lòng thử lại sau ít phút ạ.")
ERRORS = {CHAT: ERR_CHAT, UPLOAD: ERR_UPLOAD, POLL: ERR_BUSY}
PATHS = {"/api/chat": CHAT, "/api/upload": UPLOAD, "/api/pending": POLL}

KnownSession = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


class TokenBuckets:
    """One bucket per key; a key unused long enough to be full again is forgotten."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic, max_keys: int = 200_000) -> None:
        self.rate = rate
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}   # key → (tokens, at)

    def hit(self, key: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.rate.count), now))
        tokens = min(float(self.rate.count), tokens + (now - at) * self.rate.per_second)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        full = [k for k, (t, at) in self._buckets.items()
                if t + (now - at) * self.rate.per_second >= self.rate.count]
        for k in full:
            del self._buckets[k]
        while len(self._buckets) > self.max_keys:   # under attack: drop the oldest
            self._buckets.pop(next(iter(self._buckets)))


class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        value = self._d.get(key)
        if value is not None:
            self._d.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        if len(self._d) > self.size:
            self._d.popitem(last=False)


def db_known_session(db_url: str, channel: str = "web") -> KnownSession:
    """A session is known when the gateway already recorded it as a resident."""
    def known(session_id: str) -> bool:
        with session_scope(db_url) as s:
            return s.scalar(select(Resident.id).where(Resident.channel == channel,
                                                      Resident.channel_user_id == session_id)) is not None

    async def check(session_id: str) -> bool:
        return await asyncio.to_thread(known, session_id)
    return check


class WebLimits:
    def __init__(self, *, chat_session: Rate, chat_ip: Rate, upload_session: Rate, upload_ip: Rate,
                 escalation_session: Rate, escalation_ip: Rate, new_sessions_ip: Rate,
                 known_session: KnownSession | None = None, trust_proxy: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        poll_ip = Rate(chat_ip.count * 2, chat_ip.seconds)   # the page polls every 4 s while waiting
        self._ip = {CHAT: TokenBuckets(chat_ip, clock), UPLOAD: TokenBuckets(upload_ip, clock),
                    POLL: TokenBuckets(poll_ip, clock), ESCALATION: TokenBuckets(escalation_ip, clock)}
        self._session = {CHAT: TokenBuckets(chat_session, clock), UPLOAD: TokenBuckets(upload_session, clock),
                         ESCALATION: TokenBuckets(escalation_session, clock)}
        self._new_sessions = TokenBuckets(new_sessions_ip, clock)
        self._known_session = known_session
        self._seen = _Lru(100_000)            # session id → the address it last came from
        self.trust_proxy = trust_proxy

    @classmethod
    def from_settings(cls, settings: Settings, known_session: KnownSession | None = None) -> "WebLimits":
        return cls(chat_session=Rate(*settings.web_limit_chat_session), chat_ip=Rate(*settings.web_limit_chat_ip),
                   upload_session=Rate(*settings.web_limit_upload_session),
                   upload_ip=Rate(*settings.web_limit_upload_ip),
                   escalation_session=Rate(*settings.web_limit_escalation_session),
                   escalation_ip=Rate(*settings.web_limit_escalation_ip),
                   new_sessions_ip=Rate(*settings.web_limit_new_sessions_ip),
                   known_session=known_session or db_known_session(settings.database_url),
                   trust_proxy=settings.web_trust_proxy)

    def client_ip(self, request: web.Request) -> str:
        """The peer address; behind our own TLS proxy (WEB_TRUST_PROXY) the address it appended last."""
        if self.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last[:64]
        return request.remote or "?"

    def address_hit(self, kind: str, ip: str) -> float:
        return self._ip[kind].hit(ip)

    async def session_hit(self, kind: str, session_id: str, ip: str) -> tuple[float, str]:
        """(seconds to wait, refusal text) or (0.0, '') when this session may go on."""
        if self._seen.get(session_id) is None and not await self._is_known(session_id):
            wait = self._new_sessions.hit(ip)
            if wait:
                return wait, ERR_NEW_SESSION
        self._seen.put(session_id, ip)
        wait = self._session[kind].hit(session_id)
        return (wait, ERRORS[kind]) if wait else (0.0, "")

    async def _is_known(self, session_id: str) -> bool:
        return self._known_session is not None and await self._known_session(session_id)

    def allow_escalation(self, sender_id: str) -> bool:
        """Gate for the hand-off service: may this web conversation call an officer once more?"""
        channel, _, session_id = sender_id.partition(":")
        if channel != "web":
            return True
        if self._session[ESCALATION].hit(session_id):
            return False
        ip = self._seen.get(session_id)
        return ip is None or not self._ip[ESCALATION].hit(ip)


LIMITS_KEY = web.AppKey("limits", WebLimits)


def too_many(text: str, wait_s: float) -> web.Response:
    return web.json_response({"error": text}, status=429, dumps=lambda o: json.dumps(o, ensure_ascii=False),
                             headers={"Retry-After": str(max(1, int(wait_s + 0.999))), "Cache-Control": "no-store"})


@web.middleware
async def limit_addresses(request: web.Request, handler):
    """Per-address limits, before the body is read."""
    kind = PATHS.get(request.path)
    if kind is not None and request.method == "POST":
        wait = request.app[LIMITS_KEY].address_hit(kind, request.app[LIMITS_KEY].client_ip(request))
        if wait:
            return too_many(ERRORS[kind], wait)
    return await handler(request)


async def check_session(request: web.Request, kind: str, session_id: str) -> web.Response | None:
    """Per-session limits (and new sessions per address), once the handler knows the session id."""
    limits = request.app[LIMITS_KEY]
    wait, text = await limits.session_hit(kind, session_id, limits.client_ip(request))
    return too_many(text, wait) if wait else None
