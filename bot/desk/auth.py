"""Sign-in, sessions, CSRF and one-time forms for the desk.

* Every page but the sign-in page needs a session: without one a page request is redirected to
  /can-bo/dang-nhap (an htmx request gets 401 + HX-Redirect), and a form post does nothing.
* Every POST carries `csrf_token` (the session's; on the sign-in page a cookie-bound one).
* Action forms also carry a one-time `form_token`: a double submit acts once.
"""
from __future__ import annotations

import asyncio
import hmac
import secrets
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from bot.desk.context import DESK_KEY, Desk
from hotich.officers import accounts, audit, sessions
from hotich.officers.accounts import LockedOut, Officer

SESSION_COOKIE = "hotich_desk"
LOGIN_CSRF_COOKIE = "hotich_desk_login"
SIGNED_IN = web.RequestKey("signed_in", sessions.SignedIn)
PUBLIC = ("/can-bo/dang-nhap", "/can-bo/static/")

MSG_BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
MSG_EXPIRED_FORM = "Trang đăng nhập đã cũ. Anh/chị vui lòng nhập lại."
MSG_CSRF = "Phiên làm việc không hợp lệ hoặc đã hết hạn. Anh/chị vui lòng tải lại trang rồi thao tác lại."


def desk(request: web.Request) -> Desk:
    return request.config_dict[DESK_KEY]


def officer(request: web.Request) -> Officer:
    return request[SIGNED_IN].officer


def _cookie(resp: web.StreamResponse, name: str, value: str, d: Desk, max_age: int | None = None) -> None:
    resp.set_cookie(name, value, path="/can-bo/", httponly=True, samesite="Strict", secure=d.secure_cookies,
                    max_age=max_age)


def sign_in_redirect(request: web.Request) -> web.StreamResponse:
    target = "/can-bo/dang-nhap"
    if request.method == "GET" and request.path != "/can-bo/":
        target += "?next=" + quote(request.path_qs, safe="")
    if request.headers.get("HX-Request"):
        return web.Response(status=401, headers={"HX-Redirect": target})
    raise web.HTTPFound(target)


@web.middleware
async def require_officer(request: web.Request, handler):
    if request.path.startswith(PUBLIC):
        return await handler(request)
    d = desk(request)
    signed = await asyncio.to_thread(sessions.resume, d.db_url, request.cookies.get(SESSION_COOKIE), d.idle)
    if signed is None:
        return sign_in_redirect(request)
    request[SIGNED_IN] = signed
    if request.method == "POST":
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf_token", "")), signed.csrf_token):
            raise web.HTTPForbidden(text=MSG_CSRF)
    return await handler(request)


async def use_form_once(request: web.Request) -> bool:
    """False when this exact form was already submitted (double click, back + resubmit)."""
    form = await request.post()
    return await asyncio.to_thread(sessions.use_form_token, desk(request).db_url, str(form.get("form_token", "")))


def template_context(request: web.Request) -> dict:
    signed = request.get(SIGNED_IN)
    return {"officer": signed.officer if signed else None, "csrf_token": signed.csrf_token if signed else "",
            "form_token": sessions.new_form_token, "path": request.path}


# ---------------------------------------------------------------------------- sign-in page

def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/can-bo/") and not value.startswith("//") else "/can-bo/"


def _login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(24)
    resp = aiohttp_jinja2.render_template("login.html", request, {
        "login_csrf": token, "error": error, "next": _safe_next(request.query.get("next")),
        "username": ""}, status=status)
    _cookie(resp, LOGIN_CSRF_COOKIE, token, desk(request), max_age=3600)
    return resp


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    form = await request.post()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf_token", "")), expected):
        return _login_page(request, MSG_EXPIRED_FORM, status=400)
    username = str(form.get("username", ""))[:64]
    try:
        who = await asyncio.to_thread(accounts.authenticate, d.db_url, username, str(form.get("password", ""))[:256])
    except LockedOut as exc:
        await asyncio.to_thread(audit.record, d.db_url, None, "login_locked", username=username)
        return _login_page(request, str(exc), status=429)
    if who is None:
        await asyncio.to_thread(audit.record, d.db_url, None, "login_failed", username=username)
        return _login_page(request, MSG_BAD_LOGIN, status=401)
    token, _ = await asyncio.to_thread(sessions.open_session, d.db_url, who.id)
    await asyncio.to_thread(audit.record, d.db_url, who, "login")
    resp = web.HTTPFound(_safe_next(str(form.get("next", ""))))
    _cookie(resp, SESSION_COOKIE, token, d)
    resp.del_cookie(LOGIN_CSRF_COOKIE, path="/can-bo/")
    raise resp


async def logout(request: web.Request) -> web.StreamResponse:
    d = desk(request)
    await asyncio.to_thread(sessions.close_session, d.db_url, request.cookies.get(SESSION_COOKIE))
    await asyncio.to_thread(audit.record, d.db_url, officer(request), "logout")
    resp = web.HTTPFound("/can-bo/dang-nhap")
    resp.del_cookie(SESSION_COOKIE, path="/can-bo/")
    raise resp
