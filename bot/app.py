"""The gateway process: web chat (always) and Telegram (when TELEGRAM_TOKEN is set).

Both channels share one RasaClient, one GatewayCore and one Outbox. `python -m bot` runs it.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Awaitable, Callable

from aiohttp import web

from bot.core import GatewayCore
from bot.erasure import install_erasure
from bot.handoff import install_handoff
from bot.outbox import Outbox
from bot.rasa_client import RasaClient
from bot.uploads import install_uploads
from bot.web.app import create_web_app
from bot.web.limits import WebLimits
from hotich.commune import load_profile
from hotich.config import Settings
from hotich.privacy.logid import set_log_key

log = logging.getLogger("bot")


async def run(settings: Settings, stop_event: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or until stop_event is set)."""
    set_log_key(settings.log_id_key)
    profile = load_profile(settings.commune_profile)
    rasa = RasaClient(settings.rasa_url)
    core = GatewayCore(rasa, settings.database_url)
    limits = WebLimits.from_settings(settings)
    handoff = install_handoff(core, settings, profile, gate=limits.allow_escalation)   # router + reply hook
    erasure = install_erasure(core, settings)   # Rasa's copy of erased conversations, after the turn
    outbox = Outbox(core, settings.database_url)
    uploads = install_uploads(settings)   # shared UploadGateway + background tasks

    runner = web.AppRunner(create_web_app(outbox, profile.name, limits), access_log=None)  # URLs may carry session ids
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("web chat on http://%s:%d/ (Rasa at %s)", settings.web_host, settings.web_port, settings.rasa_url)

    stop_telegram: Callable[[], Awaitable[None]] | None = None
    if settings.telegram_token:
        # ---- Telegram hook (bot/telegram/, Telegram adapter) -------------------------------------
        # start_telegram(settings, core, outbox) starts polling or the webhook, registers its
        # deliverer in outbox.deliverers["telegram"] for answers to queued messages, and returns
        # an async callable that stops it. A Telegram failure must not take the web chat down.
        try:
            from bot.telegram.app import start_telegram

            stop_telegram = await start_telegram(settings, core, outbox)
            log.info("telegram adapter started (%s)", settings.telegram_mode)
        except Exception:
            log.exception("telegram adapter not started; web chat keeps running")
        # ------------------------------------------------------------------------------------------
    else:
        log.info("telegram off (TELEGRAM_TOKEN not set)")

    outbox.start()
    from bot.reminders import start_notice_sender   # appointment reminders, closure notices
    notices = start_notice_sender(settings, profile)
    uploads.start()   # officer notifications, retention purge
    erasure.start()

    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):   # not the main thread (tests)
            pass
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass
        if stop_telegram is not None:
            try:
                await stop_telegram()
            except Exception:
                log.exception("telegram adapter did not stop cleanly")
        await uploads.stop()
        await erasure.stop()
        await notices.stop()
        await outbox.stop()
        await runner.cleanup()   # finishes in-flight requests (graceful), then closes
        await rasa.close()
        await handoff.close()
        log.info("stopped")
