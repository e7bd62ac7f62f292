"""Web chat: POST /api/upload (multipart: session_id, then file) → {messages: [...]}.

Registered on the web app by `setup_web_uploads(app, gateway)`. The body is streamed with our own limit
(UPLOAD_MAX_MB), so an oversize file is refused without buffering it; the file name is used for
nothing but the "this is not a PDF" wording. Nothing here logs names or content.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import BodyPartReader, web

from bot.messages import OutgoingMessage
from bot.uploads import UploadGateway
from bot.web.limits import UPLOAD, check_session
from hotich import identity
from hotich.privacy.logid import log_id
from hotich.uploads.validate import too_big_text

log = logging.getLogger(__name__)

CHANNEL = identity.WEB
UPLOADS_KEY = web.AppKey("uploads", UploadGateway)
CHUNK = 64 * 1024
FORM_OVERHEAD = 64 * 1024

ERR_FORM = "Yêu cầu không hợp lệ: cần gửi session_id rồi đến tệp (multipart/form-data)."
ERR_SESSION = "Phiên trò chuyện không hợp lệ. Bạn vui lòng tải lại trang."
ERR_NO_FILE = "Bạn chưa chọn tệp nào."
ERR_FIELD_TOO_BIG = "Dạ, phần thông tin gửi kèm tệp quá dài nên em không nhận được. Anh/chị vui lòng tải lại trang rồi gửi lại ạ."
FIELD_LIMIT = 1024   # session_id (and any other small field) of the form
ERR_INTERNAL = "Xin lỗi, hệ thống đang gặp lỗi. Bạn vui lòng thử lại sau ít phút."


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status, dumps=_dumps, headers={"Cache-Control": "no-store"})


def _messages(messages: list[OutgoingMessage]) -> web.Response:
    return web.json_response({"messages": [m.to_json() for m in messages]}, dumps=_dumps,
                             headers={"Cache-Control": "no-store"})


async def _read_limited(part: BodyPartReader, limit: int) -> bytes | None:
    """The part's bytes, or None as soon as it exceeds `limit` (the rest is not buffered)."""
    buf = bytearray()
    while True:
        chunk = await part.read_chunk(CHUNK)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > limit:
            return None


async def upload(request: web.Request) -> web.Response:
    from bot.web.app import SESSION_RE   # the chat's own session id rule

    gw = request.app[UPLOADS_KEY]
    limit = gw.max_bytes
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        log.info("web upload: refused by Content-Length=%d", request.content_length)
        return _messages([OutgoingMessage(too_big_text(limit))])
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return _error(400, ERR_FORM)

    session_id: str | None = None
    try:
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                return _error(400, ERR_FORM)
            if part.name == "session_id":
                raw = await _read_limited(part, FIELD_LIMIT)
                if raw is None:
                    return _error(413, ERR_FIELD_TOO_BIG)
                value = raw.decode("utf-8", "replace")
                session_id = value if SESSION_RE.match(value) else None
                if session_id is None:
                    return _error(400, ERR_SESSION)
                refused = await check_session(request, UPLOAD, session_id)
                if refused is not None:
                    return refused
            elif part.name == "file":
                if session_id is None:
                    return _error(400, ERR_FORM)
                filename = part.filename
                data = await _read_limited(part, limit)
                if data is None:
                    log.info("web upload: session=%s file over the limit, refused", log_id(session_id))
                    return _messages([OutgoingMessage(too_big_text(limit))])
                if not data:
                    return _error(400, ERR_NO_FILE)
                resident_id, _ = await asyncio.to_thread(identity.touch, gw.service.db_url, CHANNEL, session_id, None)
                log.info("web upload: session=%s size=%d", log_id(session_id), len(data))
                return _messages(await gw.receive(resident_id, data, filename))
            else:   # the page sends nothing else; not even read (it could be endless)
                return _error(400, ERR_FORM)
    except (ValueError, RuntimeError) as exc:
        log.info("web upload: malformed multipart (%s)", type(exc).__name__)
        return _error(400, ERR_FORM)
    except Exception:
        log.exception("web upload: failed")
        return _error(500, ERR_INTERNAL)
    return _error(400, ERR_NO_FILE if session_id else ERR_FORM)


def setup_web_uploads(app: web.Application, gateway: UploadGateway) -> None:
    """Register POST /api/upload, storing through `gateway`."""
    app[UPLOADS_KEY] = gateway
    app.router.add_post("/api/upload", upload)
