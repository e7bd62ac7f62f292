"""Officer Telegram command `/thongke [số ngày]`: QR scans per board and per procedure.

Only ids in OFFICER_TELEGRAM_IDS; the table is sent as monospace text and the bar chart as a photo.
"""
from __future__ import annotations

import asyncio
import html
import tempfile
from pathlib import Path

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, filters

from bot.telegram.dedup import UpdateDedup, exactly_once
from hotich.commune import load_profile
from hotich.config import Settings
from hotich.qr.chart import write_chart
from hotich.qr.stats import format_table, period_for_days, scan_stats

GROUP = -10          # with the other officer commands, before the resident adapter
MAX_DAYS = 366


def parse_days(args: list[str]) -> int:
    """'/thongke' → 30 days; '/thongke 7' → 7; nonsense → 30, large values capped."""
    try:
        return max(1, min(MAX_DAYS, int(args[0])))
    except (IndexError, ValueError):
        return 30


def register(app: Application, dedup: UpdateDedup, settings: Settings) -> None:
    ids = settings.officer_telegram_ids
    if not ids:
        return
    profile = load_profile(settings.commune_profile)

    def build(days: int, png: Path) -> str:
        since, until = period_for_days(days, profile.timezone)
        stats = scan_stats(settings.database_url, since, until, profile)
        write_chart(stats, png, profile.timezone)
        return format_table(stats, profile.timezone)

    async def thongke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        days = parse_days(list(context.args or []))
        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp) / "thongke.png"
            table = await asyncio.to_thread(build, days, png)
            await update.effective_message.reply_text(f"<pre>{html.escape(table)}</pre>", parse_mode=ParseMode.HTML)
            with png.open("rb") as f:
                await update.effective_message.reply_photo(f, caption=f"Lượt quét mã QR, {days} ngày gần nhất")
        raise ApplicationHandlerStop

    only_officers = filters.User(user_id=list(ids)) & filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("thongke", exactly_once(dedup, thongke), filters=only_officers),
                    group=GROUP)
