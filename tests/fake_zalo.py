"""Fake Zalo servers over real HTTP: the Zalo Bot Platform API, the OA Open API and Zalo's OAuth.

One aiohttp server on a free port, for the gateway's real Zalo adapters:

* Bot Platform at `{url}/bot{token}/{method}` (ZALO_BOT_API_URL = url): getMe, getUpdates (long
  polling; one update per answer, error 408 when none came in time), setWebhook, deleteWebhook,
  sendMessage (1–2000 characters), sendPhoto, sendChatAction. A test pushes residents' messages
  (`bot_text`, `bot_photo`, `bot_sticker`, `bot_unsupported`), or posts them to the gateway's
  webhook itself (`bot_update` builds the body).
* OA Open API (ZALO_OA_API_URL = url): /v3.0/oa/message/cs (checks the access_token header:
  -216 for any but the current one; text over 2000 → -210; a resident in `window_closed` → -230),
  /v2.0/oa/upload/image and /upload/file. `oa_event` builds a webhook event and its
  X-ZEvent-Signature the way Zalo does (sha256(app_id + body + timestamp + OA secret key)).
* OAuth (ZALO_OAUTH_URL = url): POST /v4/oa/access_token, form refresh_token/app_id/grant_type,
  header secret_key; the refresh token works once, each refresh returns a new pair.
  `refresh_calls` counts them; `expire_access()` makes the current access token invalid.
* Files residents send are served at `{url}/files/{name}` (add with `add_file`).
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from tests.fake_telegram import ThreadedFake, _free_port

BOT_TOKEN = "1459232241454765289:fake-zalo-bot-secret"
APP_ID = "2817435551234567890"
OA_SECRET_KEY = "fake-oa-secret-key"
APP_SECRET = "fake-app-secret"
FIRST_REFRESH_TOKEN = "refresh-0"


@dataclass
class Call:
    api: str              # "bot" | "oa" | "oauth"
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeZalo:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.window_closed: set[str] = set()           # OA followers silent for > 7 days
        self.bot_blocked: set[str] = set()
        self.fail_next: list[int] = []                 # HTTP statuses the next sends answer (429, 502 …)
        self.webhook: dict[str, Any] | None = None
        self.refresh_calls = 0
        self.refresh_delay = 0.0
        self.refresh_token = FIRST_REFRESH_TOKEN
        self.access_token = ""                          # none valid until the first refresh
        self._updates: list[dict[str, Any]] = []
        self._ids = itertools.count(int(time.time() * 1000) % 10**9)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "FakeZalo":
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._bot)
        app.router.add_post("/v3.0/oa/message/cs", self._oa_send)
        app.router.add_post("/v2.0/oa/upload/{kind}", self._oa_upload)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            self._closing = True
            async with self._changed:
                self._changed.notify_all()
            await self._runner.cleanup()
            self._runner = None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- what a test does -------------------------------------------------------------------------

    def add_file(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.url}/files/{name}"

    def bot_update(self, user_id: str, event: str, **message: Any) -> dict[str, Any]:
        msg = {"message_id": f"m{next(self._ids)}", "date": int(time.time() * 1000),
               "chat": {"id": user_id, "chat_type": "PRIVATE"},
               "from": {"id": user_id, "display_name": "Cư dân Zalo", "is_bot": False}, **message}
        return {"event_name": event, "message": msg}

    async def push_bot(self, update: dict[str, Any]) -> dict[str, Any]:
        self._updates.append(update)
        await self._notify()
        return update

    async def bot_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self.push_bot(self.bot_update(user_id, "message.text.received", text=text))

    async def bot_photo(self, user_id: str, url: str, caption: str | None = None) -> dict[str, Any]:
        extra = {"caption": caption} if caption else {}
        return await self.push_bot(self.bot_update(user_id, "message.image.received", photo=url, **extra))

    async def bot_sticker(self, user_id: str) -> dict[str, Any]:
        return await self.push_bot(self.bot_update(user_id, "message.sticker.received", sticker="abc123"))

    async def bot_unsupported(self, user_id: str) -> dict[str, Any]:
        return await self.push_bot(self.bot_update(user_id, "message.unsupported.received"))

    def oa_event(self, event_name: str, user_id: str, *, text: str | None = None,
                 attachments: list[dict] | None = None, msg_id: str | None = None,
                 secret: str = OA_SECRET_KEY) -> tuple[bytes, dict[str, str]]:
        """(raw body, headers) of a webhook call as Zalo makes it, signed with `secret`."""
        ts = str(int(time.time() * 1000))
        body: dict[str, Any] = {"app_id": APP_ID, "event_name": event_name, "timestamp": ts,
                                "sender": {"id": user_id}, "recipient": {"id": "oa-1"}}
        if event_name == "follow":
            body = {**body, "follower": {"id": user_id}, "source": "oa_profile"}
            body.pop("sender")
        else:
            message: dict[str, Any] = {"msg_id": msg_id or f"oa{next(self._ids)}"}
            if text is not None:
                message["text"] = text
            if attachments is not None:
                message["attachments"] = attachments
            body["message"] = message
        raw = json.dumps(body, ensure_ascii=False).encode()
        mac = hashlib.sha256(APP_ID.encode() + raw + ts.encode() + secret.encode()).hexdigest()
        return raw, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}

    def expire_access(self) -> None:
        self.access_token = f"expired-{secrets.token_hex(4)}"

    # -- inspecting -------------------------------------------------------------------------------

    def calls_of(self, api: str, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.api == api and (method is None or c.method == method)]

    def bot_texts_to(self, user_id: str) -> list[str]:
        return [c.params.get("text", "") for c in self.calls_of("bot", "sendMessage") if c.params.get("chat_id") == user_id]

    def oa_messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [c.params["message"] for c in self.calls_of("oa", "message/cs")
                if c.params.get("ok") and c.params["recipient"]["user_id"] == user_id]

    def oa_texts_to(self, user_id: str) -> list[str]:
        return [m.get("text", "") for m in self.oa_messages_to(user_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("fake Zalo: condition not met in time")
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), 0.2)
                except asyncio.TimeoutError:
                    pass

    # -- Bot Platform -----------------------------------------------------------------------------

    async def _bot(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != BOT_TOKEN:
            return _bot_error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await request.json() if request.can_read_body else {}
        self.calls.append(Call("bot", method, params))
        try:
            if method == "getUpdates":
                return await self._get_updates(request, float(params.get("timeout") or 30))
            if method in ("sendMessage", "sendPhoto", "sendChatAction"):
                if self.fail_next:
                    status = self.fail_next.pop(0)
                    return _bot_error(status, "Too Many Requests" if status == 429 else "Bad Gateway")
                chat_id = str(params.get("chat_id") or "")
                if chat_id in self.bot_blocked:
                    return _bot_error(403, "Forbidden: the user blocked the bot")
                if method == "sendMessage":
                    text = params.get("text") or ""
                    if not 1 <= len(text) <= 2000:
                        return _bot_error(400, "Bad Request: text must be 1-2000 characters")
                return _bot_ok({"message_id": f"s{next(self._ids)}", "date": int(time.time() * 1000)})
            if method == "getMe":
                return _bot_ok({"id": BOT_TOKEN.split(":")[0], "account_name": "bot.hotich", "account_type": "BASIC"})
            if method == "setWebhook":
                self.webhook = params
                return _bot_ok({"url": params.get("url"), "updated_at": int(time.time() * 1000)})
            if method == "deleteWebhook":
                self.webhook = None
                return _bot_ok({"url": "", "updated_at": int(time.time() * 1000)})
            return _bot_error(404, "method not found")
        finally:
            await self._notify()

    async def _get_updates(self, request: web.Request, timeout: float) -> web.Response:
        if self.webhook is not None:
            return _bot_error(409, "Conflict: webhook is set")
        deadline = time.monotonic() + min(timeout, 5.0)
        async with self._changed:
            # An update is only taken by a poll whose client is still there (a stopped gateway's
            # abandoned long poll must not swallow it).
            while not self._updates or request.transport is None or request.transport.is_closing():
                if request.transport is None or request.transport.is_closing():
                    return _bot_error(408, "Request timeout")
                left = deadline - time.monotonic()
                if left <= 0 or self._closing:
                    return _bot_error(408, "Request timeout")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    return _bot_error(408, "Request timeout")
            return _bot_ok(self._updates.pop(0))

    # -- OA Open API --------------------------------------------------------------------------------

    def _token_ok(self, request: web.Request) -> bool:
        return bool(self.access_token) and request.headers.get("access_token") == self.access_token

    async def _oa_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("oa", "message/cs", dict(body))
        self.calls.append(call)
        try:
            if not self._token_ok(request):
                return web.json_response({"error": -216, "message": "Access token is invalid"})
            if self.fail_next:
                return web.json_response({"error": -32, "message": "rate limit"}, status=self.fail_next.pop(0))
            user = (body.get("recipient") or {}).get("user_id")
            message = body.get("message") or {}
            if user in self.window_closed:
                return web.json_response({"error": -230, "message": "User has not interacted with the OA in 7 days"})
            if len(message.get("text") or "") > 2000:
                return web.json_response({"error": -210, "message": "text too long"})
            buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []
            if len(buttons) > 5 or any(len(b.get("title", "")) > 100 or b.get("type") != "oa.query.show"
                                       for b in buttons):
                return web.json_response({"error": -201, "message": "invalid buttons"})
            call.params["ok"] = True
            return web.json_response({"error": 0, "message": "Success",
                                      "data": {"message_id": f"oa-s{next(self._ids)}", "user_id": user}})
        finally:
            await self._notify()

    async def _oa_upload(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        form = await request.post()
        f = form.get("file")
        content = f.file.read() if hasattr(f, "file") else b""
        self.calls.append(Call("oa", f"upload/{kind}", {"size": len(content), "filename": getattr(f, "filename", None)}))
        await self._notify()
        if not self._token_ok(request):
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        if kind == "image":
            if len(content) > 1024 * 1024:
                return web.json_response({"error": -210, "message": "image over 1 MB"})
            return web.json_response({"error": 0, "data": {"attachment_id": f"att{next(self._ids)}"}})
        return web.json_response({"error": 0, "data": {"token": f"tok{next(self._ids)}"}})

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.calls.append(Call("oauth", "access_token", {k: form.get(k) for k in ("app_id", "grant_type")}))
        self.refresh_calls += 1
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)        # widen the window for concurrent callers
        await self._notify()
        if (request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID
                or form.get("grant_type") != "refresh_token"):
            return web.json_response({"error": -14003, "error_name": "Invalid app"})
        if form.get("refresh_token") != self.refresh_token:      # used once already, or made up
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.access_token = f"access-{secrets.token_hex(6)}"
        self.refresh_token = f"refresh-{secrets.token_hex(6)}"
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")


def _bot_ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _bot_error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)


class ThreadedFakeZalo(ThreadedFake):
    """FakeZalo on its own event loop in a thread, for synchronous end-to-end tests."""

    def __init__(self, **kwargs) -> None:
        super().__init__(FakeZalo(**kwargs))
