"""Escalated conversations on the desk: the queue, one chat with its context, take / answer /
hand back / forward. The message list refreshes itself (htmx polling of a fragment)."""
from __future__ import annotations

import asyncio

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk, officer, use_form_once
from bot.desk.chats import ChatRefused
from bot.desk.flash import notice, problem, redirect
from hotich import procedures
from hotich.booking.clock import local
from hotich.handoff.context import REASONS
from hotich.officers import accounts, audit


def _cid(request: web.Request) -> int | None:
    try:
        return int(request.match_info["cid"])
    except ValueError:
        return None


@aiohttp_jinja2.template("chats.html")
async def index(request: web.Request) -> dict:
    d = desk(request)
    rows = await asyncio.to_thread(d.chats.open_chats)
    names = {o.handoff_id: o.username for o in await asyncio.to_thread(accounts.all_officers, d.db_url)}
    return {"chats": rows, "now": local(d.clock()), "names": names, "notice": notice(request)}


async def detail(request: web.Request) -> web.Response:
    d = desk(request)
    cid = _cid(request)
    conv = await asyncio.to_thread(d.chats.conversation, cid) if cid is not None else None
    if conv is None:
        return problem(request, "Cuộc trò chuyện này không còn nữa.", 404, "/can-bo/tro-chuyen")
    row = await asyncio.to_thread(d.chats.row, conv.id)
    turns, extras = await d.chats.context(conv)
    msgs = await asyncio.to_thread(d.chats.messages, conv)
    others = [o for o in await asyncio.to_thread(accounts.all_officers, d.db_url)
              if o.handoff_id != officer(request).handoff_id]
    p = procedures.get(conv.procedure)
    return aiohttp_jinja2.render_template("chat.html", request, {
        "conv": conv, "row": row, "turns": turns, "extras": extras, "messages": msgs, "others": others,
        "procedure": p.name if p else "—", "reason": REASONS.get(conv.reason or "", conv.reason or ""),
        "mine": conv.officer_id == officer(request).handoff_id, "now": local(d.clock()), "notice": notice(request)})


async def messages(request: web.Request) -> web.Response:
    d = desk(request)
    cid = _cid(request)
    conv = await asyncio.to_thread(d.chats.conversation, cid) if cid is not None else None
    if conv is None:
        return web.Response(text="<p>Cuộc trò chuyện này không còn nữa.</p>", content_type="text/html")
    msgs = await asyncio.to_thread(d.chats.messages, conv)
    return aiohttp_jinja2.render_template("chat_messages.html", request, {"messages": msgs, "conv": conv})


async def _act(request: web.Request, action, ok_code: str, audit_action: str, back_to_list: bool = False):
    d = desk(request)
    cid = _cid(request)
    back = f"/can-bo/tro-chuyen/{cid}" if cid is not None else "/can-bo/tro-chuyen"
    if cid is None:
        return problem(request, "Cuộc trò chuyện này không còn nữa.", 404, "/can-bo/tro-chuyen")
    if not await use_form_once(request):
        raise redirect(back, "twice")
    try:
        await action(cid)
    except ChatRefused as exc:
        return problem(request, str(exc), 409, back)
    await asyncio.to_thread(audit.record, d.db_url, officer(request), audit_action, f"conversation:{cid}")
    raise redirect("/can-bo/tro-chuyen" if back_to_list else back, ok_code)


async def take(request: web.Request):
    me = officer(request)
    return await _act(request, lambda cid: desk(request).chats.take(cid, me), "taken", "chat_take")


async def answer(request: web.Request):
    me = officer(request)
    text = str((await request.post()).get("noi_dung", ""))
    return await _act(request, lambda cid: desk(request).chats.answer(cid, me, text), "sent", "chat_answer")


async def hand_back(request: web.Request):
    me = officer(request)
    return await _act(request, lambda cid: desk(request).chats.hand_back(cid, me), "returned", "chat_hand_back",
                      back_to_list=True)


async def forward(request: web.Request):
    d = desk(request)
    me = officer(request)
    try:
        target_id = int(str((await request.post()).get("den", "")))
    except ValueError:
        target_id = 0
    to = await asyncio.to_thread(accounts.get, d.db_url, target_id)
    if to is None:
        return problem(request, "Anh/chị cần chọn cán bộ nhận chuyển.", 400, "/can-bo/tro-chuyen")
    return await _act(request, lambda cid: d.chats.forward(cid, me, to), "forwarded", "chat_forward",
                      back_to_list=True)
