"""The desk as an aiohttp sub-application mounted at /can-bo/ on the gateway's web app.

    GET  /can-bo/dang-nhap  POST /can-bo/dang-nhap  POST /can-bo/dang-xuat
    GET  /can-bo/                         today: appointments, papers to review, chats waiting
    GET  /can-bo/lich-hen?ngay=&tuan=&in=  appointments of a day or a week (printable)
    POST /can-bo/lich-hen/diem-danh       arrived / done / no-show
    POST /can-bo/lich-hen/dong            close a day or a slot (residents are notified)
    GET  /can-bo/ho-so[/{id}]             papers sent ahead; GET /can-bo/ho-so/{id}/tep/{file}
    POST /can-bo/ho-so/{id}/danh-gia      approve / ask for more; POST …/san-sang (result ready)
    GET  /can-bo/tro-chuyen[/{id}]        escalated chats; POST …/{id}/nhan|tra-loi|tra-lai|chuyen
    GET  /can-bo/thong-ke[.csv]           statistics, charts and CSV
    GET  /can-bo/cai-dat  POST …          reception hours, holidays, slots (admins)
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.desk import appointments, auth, chats_views, papers, settings_views, stats, today
from bot.desk.chats import DeskChats
from bot.desk.context import DESK_KEY, Desk
from bot.handoff import HandoffService
from bot.uploads import UploadGateway
from hotich.booking.clock import clock_from_env
from hotich.commune import CommuneProfile
from hotich.config import Settings
from hotich.officers.accounts import OfficerIds
from hotich.uploads.service import UploadService
from hotich.kb.render import format_date

HERE = Path(__file__).resolve().parent
HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def _headers(request: web.Request, handler):
    resp = await handler(request)
    for k, v in HEADERS.items():
        resp.headers.setdefault(k, v)
    if not request.path.startswith("/can-bo/static/"):
        resp.headers["Cache-Control"] = "no-store"   # names, phones and papers: never cached
    return resp


def create_desk_app(desk: Desk) -> web.Application:
    app = web.Application(middlewares=[_headers, auth.require_officer])
    app[DESK_KEY] = desk
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               context_processors=[_context])
    env.filters["ngay"] = format_date
    r = app.router
    r.add_get("/dang-nhap", auth.login_form)
    r.add_post("/dang-nhap", auth.login)
    r.add_post("/dang-xuat", auth.logout)
    r.add_get("/", today.page)
    r.add_get("/lich-hen", appointments.page)
    r.add_post("/lich-hen/diem-danh", appointments.mark)
    r.add_post("/lich-hen/dong", appointments.close)
    r.add_get("/ho-so", papers.index)
    r.add_get("/ho-so/{pid}", papers.detail)
    r.add_get("/ho-so/{pid}/tep/{fid}", papers.file)
    r.add_post("/ho-so/{pid}/danh-gia", papers.review)
    r.add_post("/ho-so/{pid}/san-sang", papers.ready)
    r.add_get("/tro-chuyen", chats_views.index)
    r.add_get("/tro-chuyen/{cid}", chats_views.detail)
    r.add_get("/tro-chuyen/{cid}/tin-nhan", chats_views.messages)
    r.add_post("/tro-chuyen/{cid}/nhan", chats_views.take)
    r.add_post("/tro-chuyen/{cid}/tra-loi", chats_views.answer)
    r.add_post("/tro-chuyen/{cid}/tra-lai", chats_views.hand_back)
    r.add_post("/tro-chuyen/{cid}/chuyen", chats_views.forward)
    r.add_get("/thong-ke", stats.page)
    r.add_get("/thong-ke.csv", stats.csv_export)
    r.add_get("/cai-dat", settings_views.page)
    r.add_post("/cai-dat", settings_views.save)
    r.add_static("/static/", HERE / "static", show_index=False)
    return app


def desk_from_settings(settings: Settings, profile: CommuneProfile, handoff: HandoffService,
                       uploads: UploadGateway) -> Desk:
    """The desk of this gateway: the same DB, profile, hand-off service and delivery as the chat;
    its papers service also accepts desk accounts as officers."""
    service = UploadService.from_settings(settings, uploads.service.kb,
                                          OfficerIds(settings.database_url, settings.officer_telegram_ids))
    return Desk(db_url=settings.database_url, base_profile=profile, kb=service.kb, uploads=service,
                chats=DeskChats(handoff), notify=uploads.tell_resident, clock=clock_from_env(),
                idle=timedelta(minutes=settings.desk_idle_minutes),
                secure_cookies=settings.public_web_url.startswith("https://"))


async def _context(request: web.Request) -> dict:
    return auth.template_context(request)
