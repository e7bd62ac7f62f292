"""The Telegram channel's life cycle inside the gateway (bot/app.py wires it, when TELEGRAM_TOKEN
is set, and registers `TelegramChannel.cleanup_ctx` on the gateway's aiohttp application).

Long polling by default (TELEGRAM_MODE=polling). TELEGRAM_MODE=webhook serves updates on an
aiohttp server (TELEGRAM_WEBHOOK_PORT, path of TELEGRAM_WEBHOOK_URL) and refuses any request
without the right X-Telegram-Bot-Api-Secret-Token. TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL
point the bot at another Bot API server (a local one, or the fake one in the tests).

If Telegram cannot be reached at start, the web chat still starts: the channel keeps retrying
in the background.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from datetime import timedelta
from typing import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, TypeHandler

from bot.telegram.commands import set_menu
from bot.telegram.handlers import TelegramAdapter
from bot.telegram.officer_booking import register as register_officer_booking
from bot.telegram.officer_stats import register as register_officer_stats
from hotich.config import Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]   # edited messages are not even requested
POLL_TIMEOUT = timedelta(seconds=10)
PRUNE_EVERY_S = 6 * 3600
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def build_application(settings: Settings, webhook: bool) -> Application:
    builder = (Application.builder().token(settings.telegram_token)
               .rate_limiter(AIORateLimiter(max_retries=3))
               .concurrent_updates(64))     # per-chat order is kept by the adapter's locks
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    if webhook:
        builder = builder.updater(None)      # our own aiohttp server feeds the updates
    return builder.build()


class TelegramChannel:
    def __init__(self, settings: Settings, application: Application, adapter: TelegramAdapter) -> None:
        self.settings = settings
        self.webhook = settings.telegram_mode == "webhook"
        self.app = application
        self.adapter = adapter
        self.app.add_handler(TypeHandler(Update, adapter.on_update))
        register_officer_booking(self.app, adapter.dedup, settings)   # /lichhen, /dongcua
        register_officer_stats(self.app, adapter.dedup, settings)     # /thongke
        self.app.add_error_handler(_on_error)
        self.secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        self._site_runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []
        self._started = False
        self._initialized = False

    async def cleanup_ctx(self, _app) -> AsyncIterator[None]:
        # httpx logs every request URL at INFO, and Bot API URLs contain the token; the library
        # logs request parameters (residents' messages) at DEBUG.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if logging.getLogger("telegram").getEffectiveLevel() < logging.INFO:
            logging.getLogger("telegram").setLevel(logging.INFO)
        try:
            await self.start()
        except Exception:   # a Telegram failure must not take the web chat down
            log.exception("telegram: channel not started; web chat keeps running")
        yield
        try:
            await self.stop()
        except Exception:
            log.exception("telegram: channel did not stop cleanly")

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect once; on a network failure keep trying in the background."""
        try:
            await self._connect()
        except InvalidToken:
            log.error("telegram: TELEGRAM_TOKEN was refused; the Telegram channel stays off")
            return
        except (TelegramError, OSError) as exc:
            log.warning("telegram: Bot API not reachable (%s); retrying in the background", type(exc).__name__)
            self._tasks.append(asyncio.create_task(self._connect_later(), name="telegram-connect"))

    async def _connect_later(self) -> None:
        delay = 2.0
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect()
                return
            except InvalidToken:
                log.error("telegram: TELEGRAM_TOKEN was refused; the Telegram channel stays off")
                return
            except (TelegramError, OSError) as exc:
                log.warning("telegram: still not reachable (%s)", type(exc).__name__)
                delay = min(delay * 2, 60.0)

    async def _connect(self) -> None:
        app = self.app
        if not self._initialized:
            await app.initialize()                    # getMe: checks the token
            self._initialized = True
        try:
            await set_menu(app.bot)
        except TelegramError as exc:   # the menu is a nicety: never keep the channel off for it
            log.warning("telegram: setMyCommands failed: %s", type(exc).__name__)
        if not app.running:
            await app.start()
        if self.webhook:
            await self._start_webhook()
        else:
            await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES,
                                            drop_pending_updates=False, error_callback=_on_poll_error)
        self._tasks.append(asyncio.create_task(self._prune_loop(), name="telegram-prune"))
        self._started = True
        log.info("telegram: channel on (@%s, %s)", app.bot.username, "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._tasks.clear()
        if self._site_runner is not None:
            await self._site_runner.cleanup()
            self._site_runner = None
        app = self.app
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()          # lets updates in progress finish
        if self._initialized:
            await app.shutdown()
            self._initialized = False
        self._started = False

    # -- webhook --------------------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        url = self.settings.telegram_webhook_url
        if not url:
            raise RuntimeError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        path = urlsplit(url).path or "/"
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(path, self._on_webhook)
        runner = web.AppRunner(web_app, access_log=None)   # access log would show nothing useful
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", self.settings.telegram_webhook_port).start()
        self._site_runner = runner
        await self.app.bot.set_webhook(url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES,
                                       drop_pending_updates=False)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("telegram: webhook call without the right secret token refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (json.JSONDecodeError, ValueError, TypeError, KeyError):
            return web.Response(status=400)
        # Handled before answering: if we die meanwhile Telegram sends it again, and the dedup
        # table makes sure a finished update is not answered twice.
        await self.app.process_update(update)
        return web.Response(status=200)

    # -- housekeeping ---------------------------------------------------------------------------

    async def _prune_loop(self) -> None:
        while True:
            try:
                n = await asyncio.to_thread(self.adapter.dedup.prune)
                n += await asyncio.to_thread(self.adapter.callbacks.prune)
                if n:
                    log.info("telegram: pruned %d old bookkeeping rows", n)
            except Exception:
                log.exception("telegram: pruning failed")
            await asyncio.sleep(PRUNE_EVERY_S)


def _on_poll_error(exc: TelegramError) -> None:
    log.warning("telegram: polling failed: %s", type(exc).__name__)


async def _on_error(update: object, context) -> None:
    update_id = getattr(update, "update_id", None)
    err = context.error
    log.error("telegram: error while handling update %s: %s", update_id, type(err).__name__,
              exc_info=(type(err), err, err.__traceback__) if err else None)
