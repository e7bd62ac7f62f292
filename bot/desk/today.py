"""Today: the day's appointments, papers waiting for review, conversations waiting for an officer."""
from __future__ import annotations

import asyncio

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk, officer
from bot.desk.flash import notice
from hotich.booking.clock import local
from hotich.booking.listing import appointments_between


@aiohttp_jinja2.template("today.html")
async def page(request: web.Request) -> dict:
    d = desk(request)
    now = local(d.clock())
    day = now.date()
    appts = await asyncio.to_thread(appointments_between, d.db_url, day, day)
    papers = await asyncio.to_thread(d.uploads.awaiting_review, officer(request).handoff_id)
    chats = await asyncio.to_thread(d.chats.open_chats)
    return {"day": day, "now": now, "appointments": appts, "papers": papers, "chats": chats,
            "notice": notice(request)}
