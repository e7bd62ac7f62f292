"""Zalo Bot Platform channel: a Telegram-like HTTP API, {ZALO_BOT_API_URL}/bot{TOKEN}/{method}.

    ZALO_BOT_TOKEN            turns it on ("<bot id>:<secret>", does not expire)
    ZALO_BOT_MODE             polling (default: getUpdates long polling, works behind NAT) | webhook
    ZALO_BOT_WEBHOOK_SECRET   webhook mode: checked in X-Bot-Api-Secret-Token (constant time, bad → 401)
    ZALO_BOT_WEBHOOK_URL      webhook mode: the public https address of /zalo/bot/webhook (setWebhook)

Webhook calls reach `POST /zalo/bot/webhook` on the gateway's port. Events: text, image (a URL we
download; stored like Telegram's papers), sticker and "unsupported" (also what Zalo sends for
protected users) get a short note. The platform has no buttons: choices are numbered lists
(bot/zalo/common.py). Every message is handled once (message_id in the gateway's event dedup).

Plain aiohttp rather than python-zalo-bot: the SDK is a young fork of python-telegram-bot's API
on httpx (a second HTTP stack and pinned versions for six POST calls), it does not check the
webhook secret, and we need Zalo's error codes to tell the delivery port what to retry.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, AsyncIterator

import aiohttp
from aiohttp import web

from bot.dedup import EventDedup
from bot.delivery import DeliveryError
from bot.identity import ZALO_BOT
from bot.zalo.common import Part, ZaloResidents

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/bot/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT_S = 30
MAX_DOWNLOAD = 25 * 1024 * 1024


class ZaloBotError(Exception):
    def __init__(self, status: int, code: int | None, description: str) -> None:
        super().__init__(f"HTTP {status} / {code}: {description}")
        self.status = status
        self.code = code
        self.description = description


class ZaloBotApi:
    """The Bot API over HTTP. `send_parts` is what ZaloOutgoing sends through."""

    def __init__(self, api_url: str, token: str) -> None:
        self.base = f"{api_url.rstrip('/')}/bot{token}"
        self.bot_id = token.split(":", 1)[0]
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POLL_TIMEOUT_S + 15))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, **params: Any) -> Any:
        async with self._http().post(f"{self.base}/{method}", json=params) as resp:
            try:
                data = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = None
            if resp.status != 200 or not isinstance(data, dict) or not data.get("ok"):
                code = data.get("error_code") if isinstance(data, dict) else None
                desc = str(data.get("description") or "") if isinstance(data, dict) else ""
                raise ZaloBotError(resp.status, code, desc)
            return data.get("result")

    async def send_parts(self, user_id: str, parts: list[Part]) -> None:
        try:
            for p in parts:
                if p.image:
                    await self.call("sendPhoto", chat_id=user_id, photo=p.image)
                elif p.text:
                    await self.call("sendMessage", chat_id=user_id, text=p.text)
        except ZaloBotError as exc:
            raise _delivery_error(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__, permanent=False) from exc

    async def download(self, url: str) -> bytes:
        async with self._http().get(url) as resp:
            resp.raise_for_status()
            data = await resp.content.read(MAX_DOWNLOAD + 1)
        return data


def _delivery_error(exc: ZaloBotError) -> DeliveryError:
    status = exc.code or exc.status
    if status == 429:
        return DeliveryError("rate_limited", permanent=False, retry_after=5.0)
    if status == 403:
        return DeliveryError("blocked", permanent=True)
    if status in (400, 404) and "chat" in exc.description.lower():
        return DeliveryError("unknown_user", permanent=True)
    return DeliveryError(f"http_{status}", permanent=False)


class ZaloBotChannel:
    def __init__(self, api: ZaloBotApi, residents: ZaloResidents, dedup: EventDedup, mode: str,
                 webhook_secret: str, webhook_url: str) -> None:
        self.api = api
        self.residents = residents
        self.dedup = dedup
        self.mode = mode
        self.secret = webhook_secret
        self.webhook_url = webhook_url
        self.source = f"{ZALO_BOT}:{api.bot_id}"
        self._tasks: set[asyncio.Task] = set()
        self._poller: asyncio.Task | None = None

    def routes(self, app: web.Application) -> None:
        if self.mode == "webhook":
            if not self.secret:
                raise RuntimeError("ZALO_BOT_MODE=webhook needs ZALO_BOT_WEBHOOK_SECRET")
            app.router.add_post(WEBHOOK_PATH, self.on_webhook)

    async def cleanup_ctx(self, _app) -> AsyncIterator[None]:
        try:
            if self.mode == "webhook":
                if self.webhook_url:
                    await self.api.call("setWebhook", url=self.webhook_url, secret_token=self.secret)
            else:
                await self.api.call("deleteWebhook")       # getUpdates does not work while one is set
        except Exception as exc:    # Zalo unreachable: polling retries; a webhook can be set by hand
            log.warning("zalo bot: setting up %s failed: %s", self.mode, type(exc).__name__)
        if self.mode != "webhook":
            self._poller = asyncio.create_task(self._poll(), name="zalo-bot-poll")
        log.info("zalo bot: channel on (%s)", self.mode)
        yield
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        await self.api.close()

    # -- receiving ----------------------------------------------------------------------------

    async def on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("zalo bot: webhook call without the right secret token refused")
            return web.json_response({"ok": False}, status=401)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        update = body.get("result", body) if isinstance(body, dict) else None
        if isinstance(update, dict):
            self._spawn(update)
        return web.json_response({"ok": True})      # acknowledged at once, handled in the background

    async def _poll(self) -> None:
        delay = 1.0
        while True:
            try:
                result = await self.api.call("getUpdates", timeout=str(POLL_TIMEOUT_S))
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except ZaloBotError as exc:
                if exc.code == 408 or exc.status == 408:       # no update before the timeout
                    continue
                log.warning("zalo bot: getUpdates failed (HTTP %s, code %s)", exc.status, exc.code)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                log.warning("zalo bot: getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            for update in result if isinstance(result, list) else [result] if result else []:
                if isinstance(update, dict):
                    self._spawn(update)

    def _spawn(self, update: dict) -> None:
        task = asyncio.create_task(self.handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, update: dict) -> None:
        msg = update.get("message") or {}
        sender = msg.get("from") or {}
        chat = msg.get("chat") or {}
        mid = str(msg.get("message_id") or "")
        user_id = str(chat.get("id") or sender.get("id") or "")
        if not mid or not user_id or sender.get("is_bot"):
            return
        if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
            return                                         # group chats are not for residents' matters
        if not await asyncio.to_thread(self.dedup.claim, self.source, mid):
            log.info("zalo bot: message %s already handled, skipped", mid)
            return
        try:
            await self._dispatch(update.get("event_name") or "", msg, user_id,
                                 sender.get("display_name") or sender.get("first_name") or sender.get("name"))
        except Exception:
            log.exception("zalo bot: handling a message failed")
        finally:
            await asyncio.to_thread(self.dedup.done, self.source, mid)

    async def _dispatch(self, event: str, msg: dict, user_id: str, name: str | None) -> None:
        r = self.residents
        if event == "message.text.received" or (not event and isinstance(msg.get("text"), str)):
            await r.on_text(user_id, msg.get("text") or "", name)
        elif event == "message.image.received" or (not event and msg.get("photo")):
            url = msg.get("photo") or msg.get("photo_url") or ""
            if isinstance(url, list):      # some payloads list sizes; the last is the largest
                url = (url[-1] or {}).get("url", "") if url else ""
            if not url:
                await r.on_other(user_id)
                return
            await r.on_file(user_id, lambda: self.api.download(url), None, None, name)
        elif event == "message.sticker.received" or (not event and msg.get("sticker")):
            await r.on_other(user_id, sticker=True)
        else:
            await r.on_other(user_id)
