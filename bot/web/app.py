"""Web chat adapter (aiohttp).

    GET  /                     the chat page (commune name from the commune profile)
    GET  /static/…             its JS and CSS (no external CDN or fonts)
    POST /api/chat             {session_id, text} | {session_id, payload} | {session_id, start}
                               → {messages: [{text, buttons: [{title, payload}]}]}
                               → 503 {error, queued: true} when Rasa is down (message kept)
    POST /api/pending          {session_id} → what waits for the page (delivery port: answers to
                               queued messages, notices, the officer's messages), each handed over once
    GET  /healthz

The web session id is the resident's id on this channel (kept in the page's localStorage): it
travels in request bodies only, never in a URL (proxies and browsers log URLs), and logs show a
keyed hash of it (hotich.privacy.logid). Over the limits of bot/web/limits.py: 429 {error}.
"""
from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core import SERVICE_DOWN_TEXT
from bot.delivery import Delivery
from bot.handoff import HandoffService
from bot.messages import IncomingMessage
from bot.outbox import Outbox
from bot.rasa_client import RasaUnavailable
from bot.reserved import is_reserved
from bot.uploads import UploadGateway
from bot.web.limits import CHAT, LIMITS_KEY, WebLimits, check_session, limit_addresses
from bot.web.uploads import setup_web_uploads
from hotich.identity import WEB
from hotich.privacy.logid import log_id

log = logging.getLogger(__name__)

CHANNEL = WEB
STATIC = Path(__file__).resolve().parent / "static"
SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
START_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_BODY = 16 * 1024
MAX_PAYLOAD = 1000
CHUNK = 4096

ERR_BAD_JSON = "Yêu cầu không hợp lệ: nội dung gửi lên không đúng định dạng."
ERR_TOO_BIG = "Tin nhắn quá dài. Bạn vui lòng rút gọn rồi gửi lại."
ERR_SESSION = "Phiên trò chuyện không hợp lệ. Bạn vui lòng tải lại trang."
ERR_EMPTY = "Bạn chưa nhập nội dung tin nhắn."
ERR_FIELDS = "Yêu cầu không hợp lệ: cần đúng một trong các trường text, payload hoặc start."
ERR_INTERNAL = "Xin lỗi, hệ thống đang gặp lỗi. Bạn vui lòng thử lại sau ít phút."

OUTBOX_KEY = web.AppKey("outbox", Outbox)
DELIVERY_KEY = web.AppKey("delivery", Delivery)
HANDOFF_KEY = web.AppKey("handoff", HandoffService)
PAGE_KEY = web.AppKey("page", bytes)

# The page uses only same-origin files; bot text is rendered with textContent.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _error(status: int, text: str, **extra: Any) -> web.Response:
    return web.json_response({"error": text, **extra}, status=status, dumps=_dumps,
                             headers={"Cache-Control": "no-store"})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def render_page(commune_name: str) -> bytes:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    return page.replace("{{COMMUNE_NAME}}", html.escape(commune_name)).encode("utf-8")


@web.middleware
async def _security_headers(request: web.Request, handler):
    resp = await handler(request)
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None once it exceeds `limit` (the rest is not buffered). A body may
    arrive in several TCP segments: read until the end of the stream, not what has arrived."""
    if request.content_length is not None and request.content_length > limit:
        return None
    buf = bytearray()
    while True:
        chunk = await request.content.read(CHUNK)   # b"" only at the end of the body
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:   # also bounds chunked bodies without a length
            return None


async def _read_json(request: web.Request) -> dict | web.Response:
    body = await read_body(request, MAX_BODY)
    if body is None:
        return _error(400, ERR_TOO_BIG)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):   # RecursionError: "[[[[…" thousands deep
        return _error(400, ERR_BAD_JSON)
    if not isinstance(data, dict) or not all(_valid_unicode(v) for v in data.values()):
        return _error(400, ERR_BAD_JSON)
    return data


def _valid_unicode(value: Any) -> bool:
    """False for a string with lone surrogates ("\ud800" is valid JSON, not valid text)."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _session(value: Any) -> str | None:
    return value if isinstance(value, str) and SESSION_RE.match(value) else None


async def index(request: web.Request) -> web.Response:
    return web.Response(body=request.app[PAGE_KEY], content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def chat(request: web.Request) -> web.Response:
    data = await _read_json(request)
    if isinstance(data, web.Response):
        return data
    session_id = _session(data.get("session_id"))
    if session_id is None:
        return _error(400, ERR_SESSION)
    refused = await check_session(request, CHAT, session_id)
    if refused is not None:
        return refused
    given = [k for k in ("text", "payload", "start") if data.get(k) is not None]
    if len(given) != 1 or not isinstance(data[given[0]], str):
        return _error(400, ERR_FIELDS)
    kind, value = given[0], data[given[0]]
    msg = IncomingMessage(channel=CHANNEL, user_id=session_id)
    if kind == "text":
        # Typed text is never a Rasa intent ("/intent{...}"): only buttons send payloads.
        value = value.strip().lstrip("/").strip()
        if not value:
            return _error(400, ERR_EMPTY)
        msg.text = value
    elif kind == "payload":
        if not value.strip() or len(value) > MAX_PAYLOAD or is_reserved(value):
            return _error(400, ERR_FIELDS)
        msg.payload = value
    else:
        # An unknown or malformed deep link still opens the chat with the normal welcome.
        msg.start_payload = value if START_RE.match(value) else ""

    sid = log_id(session_id)
    log.info("web chat: session=%s kind=%s len=%d", sid, kind, len(value))
    outbox: Outbox = request.app[OUTBOX_KEY]
    try:
        replies = await outbox.handle(msg)
    except RasaUnavailable as exc:
        log.warning("web chat: Rasa unavailable for session=%s (%s)", sid, type(exc).__name__)
        return _error(503, SERVICE_DOWN_TEXT, queued=True)
    except Exception:
        log.exception("web chat: failed for session=%s", sid)
        return _error(500, ERR_INTERNAL)
    return web.json_response({"messages": [r.to_json() for r in replies]}, dumps=_dumps,
                             headers={"Cache-Control": "no-store"})


async def pending(request: web.Request) -> web.Response:
    data = await _read_json(request)
    if isinstance(data, web.Response):
        return data
    session_id = _session(data.get("session_id"))
    if session_id is None:
        return _error(400, ERR_SESSION)
    try:
        replies = await request.app[DELIVERY_KEY].take(CHANNEL, session_id)
        waiting = await request.app[OUTBOX_KEY].waiting_count(CHANNEL, session_id)
        # Officers' messages arrive here too: the page keeps polling while one has the chat.
        with_officer = await request.app[HANDOFF_KEY].is_with_human(CHANNEL, session_id)
    except Exception:
        log.exception("web chat: pending failed for session=%s", log_id(session_id))
        return _error(500, ERR_INTERNAL)
    body = {"replies": [r.to_json() for r in replies], "waiting": waiting}
    if with_officer:
        body["handoff"] = True
    return web.json_response(body, dumps=_dumps,
                             headers={"Cache-Control": "no-store"})


def create_web_app(outbox: Outbox, delivery: Delivery, handoff: HandoffService, uploads: UploadGateway,
                   commune_name: str, limits: WebLimits) -> web.Application:
    """`limits`: the gateway's WebLimits, shared with the hand-off service's escalation gate."""
    # client_max_size above MAX_BODY: oversize bodies get our 400 in Vietnamese, not aiohttp's 413.
    app = web.Application(client_max_size=MAX_BODY * 4, middlewares=[_security_headers, limit_addresses])
    app[OUTBOX_KEY] = outbox
    app[DELIVERY_KEY] = delivery
    app[HANDOFF_KEY] = handoff
    app[LIMITS_KEY] = limits
    app[PAGE_KEY] = render_page(commune_name)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/api/pending", pending)
    setup_web_uploads(app, uploads)   # POST /api/upload (bot/web/uploads.py)
    app.router.add_static("/static/", STATIC, show_index=False, append_version=False)
    return app
