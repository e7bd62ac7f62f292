"""Settings (admins only): reception hours per weekday, holidays and closures, slot length and
seats. Saved in the commune DB over the profile file: they take effect without a restart."""
from __future__ import annotations

import asyncio

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk, officer, use_form_once
from bot.desk.flash import notice, problem, redirect
from hotich import commune_settings as cs
from hotich.commune import WEEKDAY_NAMES
from hotich.officers import audit

ADMIN_ONLY = "Chỉ tài khoản quản trị mới sửa được cài đặt. Anh/chị liên hệ người quản trị của xã."


def _context(request: web.Request, values: dict | None = None, error: str | None = None) -> dict:
    p = desk(request).profile()
    current = {f"gio_{wd}": cs.format_intervals(p.hours.get(wd, ())) for wd in range(7)}
    current.update({"ngay_nghi": "\n".join(sorted(d.isoformat() for d in p.holidays)),
                    "phut": str(p.booking.slot_minutes), "so_cho": str(p.booking.capacity_per_slot)})
    current.update(values or {})
    return {"values": current, "weekdays": WEEKDAY_NAMES, "slot_choices": cs.SLOT_MINUTES, "error": error,
            "notice": notice(request), "is_admin": officer(request).is_admin}


async def page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("settings.html", request, _context(request))


async def save(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    me = officer(request)
    if not me.is_admin:
        return problem(request, ADMIN_ONLY, 403, "/can-bo/cai-dat")
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in [f"gio_{wd}" for wd in range(7)] + ["ngay_nghi", "phut", "so_cho"]}
    try:
        hours = {wd: cs.parse_intervals(values[f"gio_{wd}"]) for wd in range(7)}
        if not any(hours.values()):
            raise cs.SettingsError("Cần ít nhất một ngày có giờ tiếp dân.")
        holidays = cs.parse_holidays(values["ngay_nghi"])
        booking = cs.validate_booking(int(values["phut"] or 0), int(values["so_cho"] or 0))
    except ValueError as exc:
        message = str(exc) if isinstance(exc, cs.SettingsError) else "Số phút và số chỗ phải là số."
        return aiohttp_jinja2.render_template("settings.html", request, _context(request, values, message), status=400)
    if not await use_form_once(request):
        raise redirect("/can-bo/cai-dat", "twice")
    await asyncio.to_thread(cs.save, d.db_url, "hours", cs.hours_value(hours), me.username)
    await asyncio.to_thread(cs.save, d.db_url, "holidays", sorted(x.isoformat() for x in holidays), me.username)
    await asyncio.to_thread(cs.save, d.db_url, "booking", booking, me.username)
    await asyncio.to_thread(audit.record, d.db_url, me, "settings", "hours,holidays,booking")
    raise redirect("/can-bo/cai-dat", "done")
