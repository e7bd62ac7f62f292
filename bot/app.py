"""The gateway process: web chat (always), Telegram (TELEGRAM_TOKEN), Zalo Bot (ZALO_BOT_TOKEN),
Zalo OA (ZALO_APP_ID + secrets).

Everything is built once, here, and passed to constructors: the delivery port first (with the
channels that can push), then the features that use it (hand-off, papers, reminders, the
inbound queue), then the core with its routers, then the channel adapters. Background jobs and
channels run on the life cycle of the gateway's aiohttp application (`cleanup_ctx`): they start
with it and stop, in reverse order, when it is cleaned up. `python -m bot` runs it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import AsyncIterator

from aiohttp import web

from bot.core import GatewayCore
from bot.dedup import EventDedup
from bot.delivery import Delivery, GiveUp, Pusher
from bot.desk.app import create_desk_app, desk_from_settings
from bot.erasure import TrackerErasures
from bot.handoff import HandoffService
from bot.outbox import Outbox
from bot.rasa_client import RasaClient
from bot.reminders import NoticeSender, checklist_for
from bot.uploads import UploadGateway, UploadTasks
from bot.web.app import create_web_app
from bot.web.limits import WebLimits
from hotich.commune import CommuneProfile, load_profile
from hotich.config import Settings
from hotich.handoff.hours import OfficerHours, load_officer_hours
from hotich.privacy.logid import set_log_key
from hotich.uploads.service import UploadService

log = logging.getLogger("bot")


def build_gateway(settings: Settings, profile: CommuneProfile | None = None, hours: OfficerHours | None = None,
                  retry_interval_s: float = 5.0, limits: WebLimits | None = None) -> web.Application:
    """The gateway's aiohttp application, with every channel and background job on its life cycle.
    (`hours` fixes the officers' clock, `retry_interval_s` paces the retries and `limits` sets the
    web chat's limits with their own clock, for tests.)"""
    set_log_key(settings.log_id_key)
    profile = profile or load_profile(settings.commune_profile)
    hours = hours or load_officer_hours(settings.commune_profile, profile=profile)
    db = settings.database_url
    rasa = RasaClient(settings.rasa_urls, token=settings.rasa_token)
    events = EventDedup(db)

    pushers: dict[str, Pusher] = {}
    staff = None
    on_given_up: GiveUp | None = None
    telegram = None
    if settings.telegram_token:
        from bot.telegram.app import build_application
        from bot.telegram.callbacks import CallbackStore
        from bot.telegram.sender import TelegramSender
        from bot.telegram.staff import StaffTopics

        application = build_application(settings, settings.telegram_mode == "webhook")
        tg_sender = TelegramSender(application, CallbackStore(db))
        pushers["telegram"] = tg_sender
        if settings.staff_chat_id is not None:
            staff = StaffTopics(tg_sender, settings.staff_chat_id, db)
            on_given_up = staff.undeliverable
            if not settings.officer_telegram_ids:
                log.warning("staff: STAFF_CHAT_ID set but OFFICER_TELEGRAM_IDS empty: nobody can take chats")
        else:
            log.info("staff: hand-off to officers off (STAFF_CHAT_ID not set)")
        telegram = (application, tg_sender)
    else:
        log.info("telegram off (TELEGRAM_TOKEN not set)")

    zalo = _zalo_senders(settings, db)
    pushers.update({o.channel: o for o, _ in zalo.values()})

    delivery = Delivery(db, pushers, on_given_up=on_given_up, interval_s=min(2.0, retry_interval_s))
    limits = limits or WebLimits.from_settings(settings)
    handoff = HandoffService(db, rasa, delivery, profile, hours, staff, gate=limits.allow_escalation,
                             max_open=settings.handoff_max_open)
    upload_service = UploadService.from_settings(settings)
    officer_notifier = None
    if telegram is not None:
        from bot.telegram.uploads import officer_notifier as telegram_officer_notifier
        officer_notifier = telegram_officer_notifier(telegram[1], upload_service)
    uploads = UploadGateway(upload_service, delivery, officer_notifier, handoff.papers_arrived)
    erasure = TrackerErasures.from_settings(settings, staff.delete_erased_topics if staff is not None else None)   # Rasa's copy of erased conversations, after the turn
    core = GatewayCore(rasa, db, routers=[handoff.route], reply_hooks=[handoff.after_rasa, erasure.after_reply])
    outbox = Outbox(core, delivery, db, retry_interval_s=retry_interval_s)
    notices = NoticeSender(db, profile, checklist_for(settings.kb_dir), delivery,
                           interval_s=float(os.environ.get("BOOKING_NOTICE_INTERVAL_S", "30")))

    app = create_web_app(outbox, delivery, handoff, uploads, profile.name, limits)
    app.add_subapp("/can-bo/", create_desk_app(desk_from_settings(settings, profile, handoff, uploads)))

    async def close_rasa(_app) -> AsyncIterator[None]:
        yield
        await rasa.close()

    app.cleanup_ctx.append(close_rasa)                 # closed last, after everything that uses it
    for job in (delivery, outbox, notices, UploadTasks(uploads), erasure):
        app.cleanup_ctx.append(job.cleanup_ctx)

    if telegram is not None:
        from bot.telegram.app import TelegramChannel
        from bot.telegram.dedup import UpdateDedup
        from bot.telegram.handlers import TelegramAdapter
        from bot.telegram.staff import StaffDesk
        from bot.telegram.uploads import TelegramUploads

        application, tg_sender = telegram
        handlers = (StaffDesk(handoff, staff, settings.officer_telegram_ids),) if staff is not None else ()
        handlers += (TelegramUploads(uploads, tg_sender),)
        adapter = TelegramAdapter(outbox, tg_sender, UpdateDedup(events), handlers)
        app.cleanup_ctx.append(TelegramChannel(settings, application, adapter).cleanup_ctx)

    if zalo:
        from bot.zalo.common import ZaloResidents

        for outgoing, make_channel in zalo.values():
            channel = make_channel(ZaloResidents(outgoing, outbox, uploads), events)
            channel.routes(app)
            app.cleanup_ctx.append(channel.cleanup_ctx)
    return app


def _zalo_senders(settings: Settings, db: str) -> dict:
    """channel → (its ZaloOutgoing, a function making the receiving side once the outbox exists)."""
    out: dict = {}
    if not (settings.zalo_bot_token or settings.zalo_app_id):
        return out
    from bot.zalo.common import ChoiceMemory

    choices = ChoiceMemory(db)
    if settings.zalo_bot_token:
        out["zalo_bot"] = _zalo_bot(settings, choices)
    if settings.zalo_app_id:
        if settings.zalo_oa_secret_key and settings.zalo_app_secret:
            out["zalo_oa"] = _zalo_oa(settings, db, choices)
        else:
            log.error("zalo oa: ZALO_APP_ID set but ZALO_OA_SECRET_KEY or ZALO_APP_SECRET missing; OA stays off")
    return out


def _zalo_bot(settings: Settings, choices) -> tuple:
    from bot.zalo.bot import ZaloBotApi, ZaloBotChannel
    from bot.zalo.common import ZaloOutgoing

    api = ZaloBotApi(settings.zalo_bot_api_url, settings.zalo_bot_token)
    log.info("zalo bot on (%s)", settings.zalo_bot_mode)
    return (ZaloOutgoing("zalo_bot", api.send_parts, choices, buttons_as_list=True),
            lambda residents, events: ZaloBotChannel(api, residents, events, settings.zalo_bot_mode,
                                                     settings.zalo_bot_webhook_secret, settings.zalo_bot_webhook_url))


def _zalo_oa(settings: Settings, db: str, choices) -> tuple:
    from bot.zalo.common import ZaloOutgoing
    from bot.zalo.oa import HttpSession, OATokens, ZaloOAApi, ZaloOAChannel

    http = HttpSession()
    tokens = OATokens(db, settings.zalo_app_id, settings.zalo_oa_refresh_token, settings.zalo_oauth_url,
                      settings.zalo_app_secret, http)
    api = ZaloOAApi(settings.zalo_oa_api_url, tokens, http)
    log.info("zalo oa on (webhook /zalo/oa/webhook)")
    return (ZaloOutgoing("zalo_oa", api.send_parts, choices, buttons_as_list=False, files=True),
            lambda residents, events: ZaloOAChannel(api, residents, events, settings.zalo_app_id,
                                                    settings.zalo_oa_secret_key))


async def run(settings: Settings, stop_event: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or until stop_event is set)."""
    app = build_gateway(settings)
    runner = web.AppRunner(app, access_log=None)  # URLs may carry session ids
    await runner.setup()                           # starts the background jobs and channels
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    log.info("web chat on http://%s:%d/ (Rasa at %s)", settings.web_host, settings.web_port, settings.rasa_url)

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
        await runner.cleanup()   # finishes in-flight requests, then stops channels and jobs
        log.info("stopped")
