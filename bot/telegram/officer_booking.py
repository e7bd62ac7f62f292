"""Officer Telegram commands for appointments, for ids in OFFICER_TELEGRAM_IDS only.

    /lichhen                       today's and tomorrow's appointments
    /dongcua <ngày> [HH:MM] [lý do]  close a day or one slot; affected residents are notified

Registered in a handler group before the resident adapter; a command from anyone else falls
through to the normal resident handling. (Reminders and notices reach residents through the
delivery port, bot/delivery.py.)
"""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, filters

from bot.telegram.dedup import UpdateDedup, exactly_once
from hotich.booking import officer
from hotich.booking.clock import clock_from_env
from hotich.commune import load_profile
from hotich.config import Settings

log = logging.getLogger(__name__)
GROUP = -10        # before the resident adapter (group 0)


def register(app: Application, dedup: UpdateDedup, settings: Settings) -> None:
    ids = settings.officer_telegram_ids
    profile = load_profile(settings.commune_profile)
    clock = clock_from_env()
    db_url = settings.database_url
    only_officers = filters.User(user_id=list(ids)) & filters.ChatType.PRIVATE if ids else None

    async def lichhen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not officer.is_officer(update.effective_user and update.effective_user.id, ids):
            return
        text = await asyncio.to_thread(officer.day_listing, db_url, profile, clock())
        await update.effective_message.reply_text(text)
        raise ApplicationHandlerStop

    async def dongcua(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if not officer.is_officer(user and user.id, ids):
            return
        req = officer.parse_close_args(list(context.args or []), clock())
        if req is None:
            await update.effective_message.reply_text(officer.USAGE)
            raise ApplicationHandlerStop
        res = await asyncio.to_thread(officer.close, db_url, profile, clock(), req.day, req.start, req.reason,
                                      str(user.id))
        await update.effective_message.reply_text(officer.close_reply(res))
        raise ApplicationHandlerStop

    if only_officers is not None:
        app.add_handler(CommandHandler("lichhen", exactly_once(dedup, lichhen), filters=only_officers), group=GROUP)
        app.add_handler(CommandHandler("dongcua", exactly_once(dedup, dongcua), filters=only_officers), group=GROUP)
