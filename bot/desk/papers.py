"""Papers sent ahead: the list, one submission with its checklist, its files opened in the browser
(decrypted in memory, never written to disk in clear, never cached), the review and its result
sent to the resident on their own channel."""
from __future__ import annotations

import asyncio

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk, officer, use_form_once
from bot.desk.flash import notice, problem, redirect
from bot.messages import OutgoingMessage
from hotich.officers import audit
from hotich.uploads import dialogue
from hotich.uploads.service import MORE, OK, UploadError
from hotich.uploads.storage import StorageError
from hotich.uploads.validate import MIME

GONE = "Hồ sơ hoặc tệp này không còn: đã hết thời hạn lưu, hoặc người dân đã xóa dữ liệu của mình."


def _out(msg) -> list[OutgoingMessage]:
    return [OutgoingMessage(text=msg.text)]


@aiohttp_jinja2.template("papers.html")
async def index(request: web.Request) -> dict:
    d = desk(request)
    views = await asyncio.to_thread(d.uploads.awaiting_review, officer(request).handoff_id)
    return {"papers": views, "notice": notice(request), "kb": d.kb}


async def detail(request: web.Request) -> web.Response:
    d = desk(request)
    pid = request.match_info["pid"]
    try:
        view = await asyncio.to_thread(d.uploads.officer_submission, officer(request).handoff_id, pid)
    except UploadError:
        return problem(request, GONE, 404, "/can-bo/ho-so")
    states = d.uploads.item_states(view)
    return aiohttp_jinja2.render_template("paper.html", request, {
        "view": view, "states": states, "notice": notice(request),
        "procedure": d.kb.get(view.procedure).name if view.procedure in d.kb.procedures() else view.procedure})


async def file(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    me = officer(request)
    pid, fid = request.match_info["pid"], request.match_info["fid"]
    try:
        meta, data = await asyncio.to_thread(d.uploads.officer_file, me.handoff_id, pid, fid)
    except (UploadError, StorageError):
        return problem(request, GONE, 404, f"/can-bo/ho-so/{pid}")
    await asyncio.to_thread(audit.record, d.db_url, me, "open_file", pid, meta.kind)
    return web.Response(body=data, content_type=MIME.get(meta.kind, "application/octet-stream"), headers={
        "Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{pid}-{fid}.{meta.kind}"',
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"})


async def review(request: web.Request) -> web.StreamResponse:
    """Mark each checklist item đạt / cần bổ sung (with a note) and send the result to the resident."""
    d = desk(request)
    me = officer(request)
    pid = request.match_info["pid"]
    form = await request.post()
    back = f"/can-bo/ho-so/{pid}"
    try:
        view = await asyncio.to_thread(d.uploads.officer_submission, me.handoff_id, pid)
    except UploadError:
        return problem(request, GONE, 404, "/can-bo/ho-so")
    if not await use_form_once(request):
        raise redirect(back, "twice")
    marks = []
    for st in d.uploads.item_states(view):
        status = str(form.get(f"muc_{st.index}", ""))
        if status not in (OK, MORE):
            continue
        note = str(form.get(f"ghi_chu_{st.index}", "")).strip()[:500] if status == MORE else None
        marks.append((st.index, status, note))
    if not marks:
        return problem(request, "Anh/chị chưa đánh giá mục nào (chọn “Đạt” hoặc “Cần bổ sung”).", 400, back)
    try:
        for index, status, note in marks:
            await asyncio.to_thread(d.uploads.review_item, me.handoff_id, pid, index, status, note)
        view, to = await asyncio.to_thread(d.uploads.finish_review, me.handoff_id, pid)
    except UploadError:
        return problem(request, GONE, 404, "/can-bo/ho-so")
    if to is not None:
        await d.notify(to, _out(dialogue.review_result(d.uploads, view)))
    await asyncio.to_thread(audit.record, d.db_url, me, "review_papers", pid,
                            f"{sum(1 for m in marks if m[1] == OK)} đạt, {sum(1 for m in marks if m[1] == MORE)} cần bổ sung")
    raise redirect(back, "sent")


async def ready(request: web.Request) -> web.StreamResponse:
    """"Kết quả đã sẵn sàng, mời đến nhận": the resident is told on their channel."""
    d = desk(request)
    me = officer(request)
    pid = request.match_info["pid"]
    back = f"/can-bo/ho-so/{pid}"
    try:
        view = await asyncio.to_thread(d.uploads.officer_submission, me.handoff_id, pid)
    except UploadError:
        return problem(request, GONE, 404, "/can-bo/ho-so")
    if not await use_form_once(request):
        raise redirect(back, "twice")
    to = await asyncio.to_thread(d.uploads.recipient, view.resident_id)
    if to is None:
        return problem(request, GONE, 404, "/can-bo/ho-so")
    place = f"Trung tâm Phục vụ hành chính công {d.profile().name}"
    await d.notify(to, _out(dialogue.result_ready(view, place)))
    await asyncio.to_thread(audit.record, d.db_url, me, "result_ready", pid)
    raise redirect(back, "sent")
