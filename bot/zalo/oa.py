"""Zalo Official Account channel: webhook in, Open API out.

    POST /zalo/oa/webhook     on the gateway's port. The MAC is checked before anything else:
                              X-ZEvent-Signature: mac=sha256(app_id + raw body + timestamp + OA secret key)
                              (timestamp from the body); bad or missing → 401 and nothing is done.
                              A good call is acknowledged at once (Zalo wants 200 within 2 s) and
                              handled in the background, once per msg_id (Zalo retries).
    POST {ZALO_OA_API_URL}/v3.0/oa/message/cs      text, buttons (template, oa.query.show), images
    POST {ZALO_OA_API_URL}/v2.0/oa/upload/image|file   officer's photos/files to the resident

Buttons are `oa.query.show` whose payload is the choice's number: a tap comes back as the
resident "typing" that number (user_send_text), which bot/zalo/common.py resolves like a typed
number. More than five choices are a numbered list instead.

Tokens: the access token lasts ~25 h, the refresh token works ONCE. The pair lives in
`zalo_tokens`; `OATokens` refreshes with exactly one task at a time (an asyncio lock, the
token re-read inside it) and saves the new pair before the new access token is used, so a crash
never loses the only valid refresh token. The first refresh token comes from ZALO_OA_REFRESH_TOKEN.

When the resident has not written for 7 days Zalo refuses consultation messages (-230): the
delivery port gives up and the officer is told in the staff topic (bot/delivery.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import aiohttp
from aiohttp import web

from bot.dedup import EventDedup
from bot.delivery import DeliveryError
from bot.identity import ZALO_OA
from bot.zalo.common import Part, ZaloResidents
from hotich.db.base import utcnow
from hotich.db.models import ZaloToken
from hotich.db.session import session_scope

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/oa/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TOKEN_MARGIN = timedelta(minutes=5)
MAX_DOWNLOAD = 25 * 1024 * 1024
TOKEN_ERRORS = (-216, -220)             # access token invalid / expired
WINDOW_CLOSED = -230                    # no interaction from the resident in 7 days
RATE_LIMITED = -32
UNKNOWN_USER = (-201, -213)             # invalid user id / the user does not follow the OA


class ZaloOAError(Exception):
    def __init__(self, status: int, code: int | None, message: str = "") -> None:
        super().__init__(f"HTTP {status} / {code}")
        self.status = status
        self.code = code
        self.message = message


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


# ---------------------------------------------------------------------------- tokens

def _load(db_url: str, app_id: str, seed: str) -> tuple[str | None, str, datetime | None]:
    with session_scope(db_url) as s:
        row = s.get(ZaloToken, app_id)
        if row is None:
            if not seed:
                raise RuntimeError("no Zalo OA refresh token (ZALO_OA_REFRESH_TOKEN)")
            row = ZaloToken(app_id=app_id, access_token=None, refresh_token=seed, expires_at=None)
            s.add(row)
        return row.access_token, row.refresh_token, _aware(row.expires_at)


def _save(db_url: str, app_id: str, access: str, refresh: str, expires_at: datetime) -> None:
    with session_scope(db_url) as s:
        row = s.get(ZaloToken, app_id)
        row.access_token, row.refresh_token, row.expires_at, row.updated_at = access, refresh, expires_at, utcnow()


def _drop_access(db_url: str, app_id: str, access: str) -> None:
    with session_scope(db_url) as s:
        row = s.get(ZaloToken, app_id)
        if row is not None and row.access_token == access:
            row.access_token = None


class OATokens:
    def __init__(self, db_url: str, app_id: str, first_refresh_token: str, oauth_url: str, app_secret: str,
                 http: "HttpSession") -> None:
        self.db_url = db_url
        self.app_id = app_id
        self.seed = first_refresh_token
        self.oauth_url = oauth_url.rstrip("/")
        self.app_secret = app_secret
        self.http = http
        self._lock = asyncio.Lock()
        self._cached: tuple[str, datetime] | None = None

    def _fresh(self) -> str | None:
        c = self._cached
        return c[0] if c is not None and c[1] - TOKEN_MARGIN > utcnow() else None

    async def get(self) -> str:
        token = self._fresh()
        if token:
            return token
        async with self._lock:                       # one refresh at a time; the others wait for it
            token = self._fresh()
            if token:
                return token
            access, refresh, expires = await asyncio.to_thread(_load, self.db_url, self.app_id, self.seed)
            if access and expires and expires - TOKEN_MARGIN > utcnow():
                self._cached = (access, expires)
                return access
            return await self._refresh(refresh)

    async def expired(self, token: str) -> None:
        """Zalo said this access token is invalid (-216/-220): the next `get` refreshes."""
        async with self._lock:
            if self._cached and self._cached[0] == token:
                self._cached = None
            await asyncio.to_thread(_drop_access, self.db_url, self.app_id, token)

    async def _refresh(self, refresh_token: str) -> str:
        form = {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        try:
            async with self.http().post(f"{self.oauth_url}/v4/oa/access_token", data=form,
                                        headers={"secret_key": self.app_secret}) as resp:
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise DeliveryError("token_refresh", permanent=False) from exc
        if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
            log.error("zalo oa: token refresh refused (error %s)", (data or {}).get("error") if isinstance(data, dict)
                      else "?")
            raise DeliveryError("token_refresh", permanent=False)
        expires = utcnow() + timedelta(seconds=int(data.get("expires_in") or 3600))
        # The old refresh token is now spent: the new pair is written before anything uses it.
        await asyncio.to_thread(_save, self.db_url, self.app_id, data["access_token"], data["refresh_token"], expires)
        self._cached = (data["access_token"], expires)
        log.info("zalo oa: access token refreshed, valid until %s", expires.isoformat(timespec="minutes"))
        return data["access_token"]


class HttpSession:
    """One aiohttp session, made on first use (inside the running loop) and closed with the channel."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# ---------------------------------------------------------------------------- Open API

class ZaloOAApi:
    def __init__(self, api_url: str, tokens: OATokens, http: HttpSession) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.http = http

    async def _post(self, path: str, *, json_body: dict | None = None, make_form=None) -> dict:
        """POST with the access token; an invalid/expired token is refreshed once and the call
        repeated (`make_form` builds a multipart body afresh for each try)."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            body = make_form() if make_form is not None else None
            async with self.http().post(f"{self.api_url}{path}", json=json_body, data=body,
                                        headers={"access_token": token}) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = None
                status = resp.status
            code = data.get("error") if isinstance(data, dict) else None
            if status == 200 and code == 0:
                return data
            if code in TOKEN_ERRORS and attempt == 1:
                await self.tokens.expired(token)
                continue
            raise ZaloOAError(status, code, str((data or {}).get("message") or "") if isinstance(data, dict) else "")
        raise AssertionError("unreachable")

    async def send(self, user_id: str, message: dict) -> None:
        try:
            await self._post("/v3.0/oa/message/cs", json_body={"recipient": {"user_id": user_id}, "message": message})
        except ZaloOAError as exc:
            raise _delivery_error(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__, permanent=False) from exc

    async def send_parts(self, user_id: str, parts: list[Part]) -> None:
        for p in parts:
            if p.image:
                await self.send(user_id, {"attachment": {"type": "template", "payload": {
                    "template_type": "media", "elements": [{"media_type": "image", "url": p.image}]}}})
            elif p.choices:
                await self.send(user_id, {"text": p.text, "attachment": {"type": "template", "payload": {
                    "buttons": [{"title": title, "type": "oa.query.show", "payload": number}
                                for title, number in p.choices]}}})
            elif p.text:
                await self.send(user_id, {"text": p.text})

    async def send_file(self, user_id: str, data: bytes, filename: str, image: bool) -> None:
        """An officer's photo (upload/image, ≤ 1 MB) or document (upload/file: PDF/DOC/DOCX ≤ 5 MB)."""
        def form() -> aiohttp.FormData:
            fd = aiohttp.FormData()
            fd.add_field("file", data, filename=filename)
            return fd
        try:
            if image:
                up = await self._post("/v2.0/oa/upload/image", make_form=form)
                message = {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [
                    {"media_type": "image", "attachment_id": up["data"]["attachment_id"]}]}}}
            else:
                up = await self._post("/v2.0/oa/upload/file", make_form=form)
                message = {"attachment": {"type": "file", "payload": {"token": up["data"]["token"]}}}
        except ZaloOAError as exc:
            raise _delivery_error(exc) from exc
        await self.send(user_id, message)

    async def download(self, url: str) -> bytes:
        async with self.http().get(url) as resp:
            resp.raise_for_status()
            return await resp.content.read(MAX_DOWNLOAD + 1)


def _delivery_error(exc: ZaloOAError) -> DeliveryError:
    if exc.code == WINDOW_CLOSED:
        return DeliveryError("window_closed", permanent=True)
    if exc.code in UNKNOWN_USER:
        return DeliveryError("unknown_user", permanent=True)
    if exc.code == RATE_LIMITED or exc.status == 429:
        return DeliveryError("rate_limited", permanent=False, retry_after=10.0)
    return DeliveryError(f"zalo_{exc.code if exc.code is not None else exc.status}", permanent=False)


# ---------------------------------------------------------------------------- webhook

def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


class ZaloOAChannel:
    def __init__(self, api: ZaloOAApi, residents: ZaloResidents, dedup: EventDedup, app_id: str,
                 oa_secret_key: str) -> None:
        self.api = api
        self.residents = residents
        self.dedup = dedup
        self.app_id = app_id
        self.secret = oa_secret_key
        self.source = f"{ZALO_OA}:{app_id}"
        self._tasks: set[asyncio.Task] = set()

    def routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.on_webhook)

    async def cleanup_ctx(self, _app) -> AsyncIterator[None]:
        log.info("zalo oa: channel on (webhook %s)", WEBHOOK_PATH)
        yield
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        await self.api.http.close()

    def verified(self, raw: bytes, header: str) -> dict | None:
        """The event, if the MAC is right; None otherwise (nothing else is looked at)."""
        given = header.strip()
        if not given.lower().startswith("mac="):
            return None
        try:
            event = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        expected = signature(self.app_id, raw, str(event.get("timestamp", "")), self.secret)
        return event if hmac.compare_digest(given[4:].strip().lower().encode(), expected.encode()) else None

    async def on_webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        event = self.verified(raw, request.headers.get(SIGNATURE_HEADER, ""))
        if event is None:
            log.warning("zalo oa: webhook call with a missing or wrong signature refused")
            return web.json_response({"error": "invalid signature"}, status=401)
        task = asyncio.create_task(self.handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"error": 0})

    async def handle(self, event: dict) -> None:
        name = str(event.get("event_name") or "")
        user_id = str((event.get("sender") or {}).get("id") or (event.get("follower") or {}).get("id") or "")
        msg = event.get("message") or {}
        if not user_id or not (name.startswith("user_send_") or name == "follow"):
            return                           # seen/received receipts, unfollow, anonymous widget chats
        event_id = str(msg.get("msg_id") or f"{name}:{user_id}:{event.get('timestamp', '')}")
        if not await asyncio.to_thread(self.dedup.claim, self.source, event_id):
            log.info("zalo oa: event already handled, skipped")
            return
        try:
            await self._dispatch(name, msg, user_id)
        except Exception:
            log.exception("zalo oa: handling an event failed")
        finally:
            await asyncio.to_thread(self.dedup.done, self.source, event_id)

    async def _dispatch(self, name: str, msg: dict, user_id: str) -> None:
        r = self.residents
        if name == "follow":
            await r.on_start(user_id)
        elif name == "user_send_text":
            await r.on_text(user_id, str(msg.get("text") or ""))
        elif name in ("user_send_image", "user_send_file"):
            attachment = next(iter(msg.get("attachments") or []), {}) or {}
            payload = attachment.get("payload") or {}
            url = payload.get("url")
            if not url:
                await r.on_other(user_id)
                return
            size = payload.get("size")
            await r.on_file(user_id, lambda: self.api.download(url),
                            int(size) if str(size or "").isdigit() else None, payload.get("name"))
        elif name in ("user_send_sticker", "user_send_gif"):
            await r.on_other(user_id, sticker=True)
        else:
            await r.on_other(user_id)
