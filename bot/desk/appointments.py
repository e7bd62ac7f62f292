"""Appointments by day or week, attendance marks, closing a day or a slot, a printable day list."""
from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk, officer, use_form_once
from bot.desk.flash import notice, problem, redirect
from hotich.booking import officer as booking_officer
from hotich.booking.clock import local
from hotich.booking.listing import ATTENDANCE, appointments_between, mark_attendance
from hotich.commune import WEEKDAY_NAMES
from hotich.officers import audit

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _day(value: str | None, default: date) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def page(request: web.Request) -> web.Response:
    d = desk(request)
    today = local(d.clock()).date()
    day = _day(request.query.get("ngay"), today)
    if day is None:
        return problem(request, "Ngày không hợp lệ; hãy chọn ngày theo dạng YYYY-MM-DD.", 400, "/can-bo/lich-hen")
    week = request.query.get("tuan") == "1"
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=6) if week else day
    rows = await asyncio.to_thread(appointments_between, d.db_url, first, last)
    days = [(first + timedelta(days=i)) for i in range((last - first).days + 1)]
    by_day = {x: [a for a in rows if a.day == x] for x in days}
    template = "appointments_print.html" if request.query.get("in") == "1" else "appointments.html"
    return aiohttp_jinja2.render_template(template, request, {
        "day": day, "week": week, "days": days, "by_day": by_day, "weekday": WEEKDAY_NAMES,
        "prev": first - timedelta(days=7 if week else 1), "next": first + timedelta(days=7 if week else 1),
        "attendance": ATTENDANCE, "notice": notice(request), "profile": d.profile(), "today": today})


async def mark(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    form = await request.post()
    code, value = str(form.get("code", ""))[:8], str(form.get("value", ""))
    back = str(form.get("back", "/can-bo/"))
    back = back if back.startswith("/can-bo/") else "/can-bo/"
    if value not in ATTENDANCE:
        return problem(request, "Trạng thái không hợp lệ.", 400, back)
    if not await use_form_once(request):
        raise redirect(back, "twice")
    if not await asyncio.to_thread(mark_attendance, d.db_url, code, value):
        return problem(request, f"Không tìm thấy lịch hẹn {code} (có thể đã bị hủy hoặc đổi giờ).", 404, back)
    await asyncio.to_thread(audit.record, d.db_url, officer(request), "attendance", code, value)
    raise redirect(back, "done")


async def close(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    form = await request.post()
    day = _day(str(form.get("ngay", "")), None)
    hhmm = str(form.get("gio", "")).strip()
    reason = " ".join(str(form.get("ly_do", "")).split())[:200]
    back = "/can-bo/lich-hen" + (f"?ngay={day.isoformat()}" if day else "")
    if day is None:
        return problem(request, "Anh/chị cần chọn ngày muốn đóng.", 400, back)
    if hhmm and not _HHMM.match(hhmm):
        return problem(request, "Giờ không hợp lệ; hãy nhập theo dạng HH:MM, hoặc để trống để đóng cả ngày.", 400, back)
    if day < local(d.clock()).date():
        return problem(request, "Không thể đóng một ngày đã qua.", 400, back)
    if not await use_form_once(request):
        raise redirect(back, "twice")
    start = int(hhmm[:-3]) * 60 + int(hhmm[-2:]) if hhmm else None
    me = officer(request)
    res = await asyncio.to_thread(booking_officer.close, d.db_url, d.profile(), d.clock(), day, start, reason,
                                  f"desk:{me.username}")
    await asyncio.to_thread(audit.record, d.db_url, me, "close_slots", day.isoformat() + (f" {hhmm}" if hhmm else ""),
                            f"{len(res.affected)} lịch hẹn bị ảnh hưởng")
    raise redirect(back, "closed")
