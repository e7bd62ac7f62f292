"""The officers' web desk, driven over HTTP as an officer's browser would (SQLite and PostgreSQL):
sign-in and lock-out, CSRF, sessions that expire, appointments, papers, chats, statistics, settings."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.desk.app import create_desk_app
from bot.desk.chats import DeskChats
from bot.desk.context import Desk
from bot.delivery import Delivery
from bot.handoff import HandoffService
from bot.rasa_client import RasaClient
from bot.uploads import UploadGateway
from hotich.booking.clock import VN_TZ, fixed_clock
from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.commune_settings import effective_profile
from hotich.config import ROOT
from hotich.db.models import OfficerAudit, OutboundMessage
from hotich.db.session import session_scope
from hotich.handoff import ownership
from hotich.handoff.hours import load_officer_hours
from hotich.kb import KnowledgeBase
from hotich.officers import accounts, sessions
from hotich.officers.accounts import OfficerIds
from hotich.ops.stack import free_port
from hotich.uploads.service import UploadService
from hotich.uploads.storage import BlobStore
from tests.uploads_samples import jpeg_with_gps

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROFILE_PATH = ROOT / "data" / "commune" / "song_phuong.yml"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=VN_TZ)          # a Wednesday
PASSWORD = "mat-khau-du-dai-1"


@pytest.fixture
async def desk_env(db_url, tmp_path):
    profile = load_profile(PROFILE_PATH)
    kb = KnowledgeBase.load(ROOT / "data" / "kb")
    uploads = UploadService(db_url, BlobStore(tmp_path / "blobs", Fernet.generate_key().decode()), kb,
                            officer_ids=OfficerIds(db_url))
    hours = load_officer_hours(PROFILE_PATH, profile=profile)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")          # not running: no last turns to show
    delivery = Delivery(db_url, {})                                # web residents collect what is queued
    handoff = HandoffService(db_url, rasa, delivery, profile, hours, None)
    desk = Desk(db_url=db_url, base_profile=profile, kb=kb, uploads=uploads, chats=DeskChats(handoff),
                notify=UploadGateway(uploads, delivery).tell_resident, clock=fixed_clock(NOW))
    app = web.Application()
    app.add_subapp("/can-bo/", create_desk_app(desk))
    client = TestClient(TestServer(app))
    await client.start_server()
    accounts.add(db_url, "lan", PASSWORD, role="admin")
    accounts.add(db_url, "minh", PASSWORD)
    try:
        yield client, desk
    finally:
        await client.close()
        await rasa.close()


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return m.group(1)


async def sign_in(client: TestClient, username: str = "lan", password: str = PASSWORD):
    page = await (await client.get("/can-bo/dang-nhap")).text()
    return await client.post("/can-bo/dang-nhap", allow_redirects=False,
                             data={"username": username, "password": password, "csrf_token": hidden(page, "csrf_token")})


async def form_of(client: TestClient, path: str, action: str) -> dict:
    """The hidden fields of the form posting to `action` on page `path` (as the browser would send)."""
    html = await (await client.get(path)).text()
    m = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S)
    assert m, f"no form for {action} on {path}"
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', m.group(0)))


def pending_texts(db_url: str, user_id: str) -> list[str]:
    """What waits for this web resident's page."""
    with session_scope(db_url) as s:
        rows = s.scalars(select(OutboundMessage.messages).where(OutboundMessage.sender_id == f"web:{user_id}")).all()
    return [m["text"] for r in rows for m in json.loads(r or "[]")]


async def test_every_page_needs_a_signed_in_officer(desk_env):
    client, _ = desk_env
    for path in ("/can-bo/", "/can-bo/lich-hen?ngay=2026-12-03", "/can-bo/ho-so", "/can-bo/tro-chuyen",
                 "/can-bo/thong-ke", "/can-bo/cai-dat"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"].startswith("/can-bo/dang-nhap"), path
    resp = await client.post("/can-bo/lich-hen/dong", data={"ngay": "2026-12-03"}, allow_redirects=False)
    assert resp.status == 302


async def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(desk_env):
    client, _ = desk_env
    resp = await sign_in(client)
    assert resp.status == 302 and resp.headers["Location"] == "/can-bo/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    home = await client.get("/can-bo/")
    assert "Hôm nay" in await home.text() and "lan" in await home.text()
    assert home.headers["Cache-Control"] == "no-store"
    fields = await form_of(client, "/can-bo/", "/can-bo/dang-xuat")
    await client.post("/can-bo/dang-xuat", data=fields, allow_redirects=False)
    assert (await client.get("/can-bo/", allow_redirects=False)).status == 302


async def test_wrong_passwords_lock_the_account(desk_env):
    client, desk = desk_env
    for _ in range(accounts.MAX_FAILED_LOGINS):
        resp = await sign_in(client, password="sai-mat-khau-0")
        assert resp.status == 401
        assert "không đúng" in await resp.text()
    resp = await sign_in(client)                       # even the right password is refused now
    assert resp.status == 429
    assert "thử lại sau" in await resp.text()
    with session_scope(desk.db_url) as s:
        assert s.scalar(select(func.count()).select_from(OfficerAudit).where(OfficerAudit.action == "login_failed")) == 5


async def test_sign_in_without_the_form_token_is_refused(desk_env):
    client, _ = desk_env
    resp = await client.post("/can-bo/dang-nhap", data={"username": "lan", "password": PASSWORD, "csrf_token": "x"},
                             allow_redirects=False)
    assert resp.status == 400


async def test_an_idle_session_goes_back_to_sign_in(desk_env):
    client, desk = desk_env
    await sign_in(client)
    token = next(c.value for c in client.session.cookie_jar if c.key == "hotich_desk")
    assert sessions.resume(desk.db_url, token, timedelta(minutes=30)) is not None
    later = datetime.now(VN_TZ) + timedelta(minutes=31)
    assert sessions.resume(desk.db_url, token, timedelta(minutes=30), now=later) is None
    assert (await client.get("/can-bo/", allow_redirects=False)).status == 302


async def test_appointments_of_a_day_attendance_and_a_double_submit(desk_env):
    client, desk = desk_env
    booking = BookingService(desk.db_url, desk.base_profile, fixed_clock(NOW)).book(
        "web:resident-aaaa", "khai_sinh", date(2026, 12, 3), 9 * 60, "Nguyễn Văn An", "0912345678")
    await sign_in(client)
    html = await (await client.get("/can-bo/lich-hen?ngay=2026-12-03")).text()
    assert booking.code in html and "Nguyễn Văn An" in html and "0912345678" in html
    fields = await form_of(client, "/can-bo/lich-hen?ngay=2026-12-03", "/can-bo/lich-hen/diem-danh")
    fields["value"] = "arrived"
    first = await client.post("/can-bo/lich-hen/diem-danh", data=fields, allow_redirects=False)
    again = await client.post("/can-bo/lich-hen/diem-danh", data=fields, allow_redirects=False)
    assert "tb=done" in first.headers["Location"] and "tb=twice" in again.headers["Location"]
    html = await (await client.get("/can-bo/lich-hen?ngay=2026-12-03")).text()
    assert "Đã đến" in html
    with session_scope(desk.db_url) as s:
        assert s.scalar(select(func.count()).select_from(OfficerAudit).where(OfficerAudit.action == "attendance")) == 1
    printable = await (await client.get("/can-bo/lich-hen?ngay=2026-12-03&in=1")).text()
    assert booking.code in printable and "<nav" not in printable


async def test_a_post_without_the_csrf_token_changes_nothing(desk_env):
    client, desk = desk_env
    booking = BookingService(desk.db_url, desk.base_profile, fixed_clock(NOW)).book(
        "web:resident-bbbb", "khai_tu", date(2026, 12, 3), 10 * 60, "Trần Thị Bình", "0987654321")
    await sign_in(client)
    resp = await client.post("/can-bo/lich-hen/diem-danh", data={"code": booking.code, "value": "done"})
    assert resp.status == 403
    assert "Chưa đến" in await (await client.get("/can-bo/lich-hen?ngay=2026-12-03")).text()


async def test_closing_a_day_displaces_its_appointments(desk_env):
    client, desk = desk_env
    svc = BookingService(desk.db_url, desk.base_profile, fixed_clock(NOW))
    booking = svc.book("web:resident-cccc", "khai_sinh", date(2026, 12, 4), 9 * 60, "Lê Văn Cường", "0911111111")
    await sign_in(client)
    fields = await form_of(client, "/can-bo/lich-hen?ngay=2026-12-04", "/can-bo/lich-hen/dong")
    resp = await client.post("/can-bo/lich-hen/dong", data={**fields, "ngay": "2026-12-04", "ly_do": "tập huấn"},
                             allow_redirects=False)
    assert "tb=closed" in resp.headers["Location"]
    assert booking.code not in await (await client.get("/can-bo/lich-hen?ngay=2026-12-04")).text()
    assert svc.free_slots("khai_sinh", date(2026, 12, 4)) == []


async def test_papers_open_decrypted_and_a_request_for_more_reaches_the_resident(desk_env):
    client, desk = desk_env
    svc = desk.uploads
    rid = svc.resident_for("web:resident-dddd")
    svc.give_consent(rid)
    svc.start(rid, "khai_sinh")
    photo = jpeg_with_gps()
    view, f = svc.add_file(rid, photo, "giay-chung-sinh.jpg")
    svc.attach(rid, f.public_id, 2)
    submitted = svc.submit(rid)
    await sign_in(client)
    assert submitted.public_id in await (await client.get("/can-bo/ho-so")).text()
    page = await (await client.get(f"/can-bo/ho-so/{submitted.public_id}")).text()
    link = re.search(rf'href="(/can-bo/ho-so/{submitted.public_id}/tep/[^"]+)"', page).group(1)
    opened = await client.get(link)
    assert opened.status == 200 and opened.headers["Cache-Control"] == "no-store"
    assert opened.content_type == "image/jpeg" and (await opened.read())[:2] == b"\xff\xd8"
    fields = await form_of(client, f"/can-bo/ho-so/{submitted.public_id}", f"/can-bo/ho-so/{submitted.public_id}/danh-gia")
    resp = await client.post(f"/can-bo/ho-so/{submitted.public_id}/danh-gia", allow_redirects=False,
                             data={**fields, "muc_2": "more", "ghi_chu_2": "Ảnh bị mờ, chụp lại giúp em"})
    assert "tb=sent" in resp.headers["Location"]
    told = "\n".join(pending_texts(desk.db_url, "resident-dddd"))
    assert "cần bổ sung" in told and "Ảnh bị mờ" in told
    svc.delete_all_for_resident(rid)                    # the resident erased their data
    gone = await client.get(link)
    assert gone.status == 404 and "không còn" in await gone.text()


async def test_only_one_officer_can_take_a_chat_and_answers_reach_the_resident(desk_env):
    client, desk = desk_env
    conv = ownership.request(desk.db_url, "web:resident-eeee", "ket_hon", "asked").conversation
    await sign_in(client, "lan")
    assert "đang chờ" in (await (await client.get("/can-bo/")).text()).lower()
    fields = await form_of(client, f"/can-bo/tro-chuyen/{conv.id}", f"/can-bo/tro-chuyen/{conv.id}/nhan")
    resp = await client.post(f"/can-bo/tro-chuyen/{conv.id}/nhan", data=fields, allow_redirects=False)
    assert "tb=taken" in resp.headers["Location"]
    fields = await form_of(client, f"/can-bo/tro-chuyen/{conv.id}", f"/can-bo/tro-chuyen/{conv.id}/tra-loi")
    await client.post(f"/can-bo/tro-chuyen/{conv.id}/tra-loi", data={**fields, "noi_dung": "Chào anh, em là Lan."},
                      allow_redirects=False)
    assert "Chào anh, em là Lan." in pending_texts(desk.db_url, "resident-eeee")
    # the Telegram officer who tries now finds it owned
    assert not ownership.take(desk.db_url, conv.id, 424242).ok

    other = TestClient(TestServer(client.server.app))
    await other.start_server()
    try:
        await sign_in(other, "minh")
        page = await (await other.get(f"/can-bo/tro-chuyen/{conv.id}")).text()
        assert "Cán bộ khác đang trả lời" in page
        token = hidden(page, "csrf_token")
        resp = await other.post(f"/can-bo/tro-chuyen/{conv.id}/tra-loi",
                                data={"csrf_token": token, "form_token": "t1", "noi_dung": "xen ngang"})
        assert resp.status == 409 and "cán bộ khác" in await resp.text()
    finally:
        await other.close()
    assert "xen ngang" not in pending_texts(desk.db_url, "resident-eeee")


async def test_statistics_page_and_csv(desk_env):
    client, desk = desk_env
    from hotich.questions import log_question
    log_question(desk.db_url, "web:x", "lam giay khai sinh can gi", "ask_documents", "khai_sinh", 0.9, "answered")
    log_question(desk.db_url, "web:x", "hỏi về sổ đỏ nhà tôi, sđt 0912345678", "out_of_scope", None, 0.3, "out_of_scope")
    await sign_in(client)
    html = await (await client.get("/can-bo/thong-ke")).text()
    assert "<svg" in html and "Đăng ký khai sinh" in html
    assert "sổ đỏ" in html and "0912345678" not in html
    csv = await client.get("/can-bo/thong-ke.csv")
    body = (await csv.read()).decode("utf-8-sig")
    assert csv.content_type == "text/csv" and "câu hỏi theo thủ tục" in body


async def test_only_admins_change_settings_and_they_apply_at_once(desk_env):
    client, desk = desk_env
    await sign_in(client, "minh")
    fields = await form_of(client, "/can-bo/cai-dat", "/can-bo/cai-dat")
    assert (await client.post("/can-bo/cai-dat", data=fields)).status == 403
    client.session.cookie_jar.clear()
    await sign_in(client, "lan")
    fields = await form_of(client, "/can-bo/cai-dat", "/can-bo/cai-dat")
    form = {**fields, **{f"gio_{wd}": "07:30-11:30" for wd in range(5)}, "gio_5": "", "gio_6": "",
            "ngay_nghi": "2026-12-24", "phut": "20", "so_cho": "4"}
    bad = await client.post("/can-bo/cai-dat", data={**form, "gio_0": "11:00-08:00"})
    assert bad.status == 400 and "giờ bắt đầu phải trước" in await bad.text()
    ok = await client.post("/can-bo/cai-dat", data=form, allow_redirects=False)
    assert "tb=done" in ok.headers["Location"]
    p = effective_profile(desk.base_profile, desk.db_url)
    assert not p.is_open_on(date(2026, 12, 24)) and not p.is_open_on(date(2026, 12, 5))
    assert p.booking.slot_minutes == 20 and p.booking.capacity_per_slot == 4


async def test_officer_cli_reads_the_password_from_stdin(db_url):
    import subprocess
    import sys

    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "hotich.cli", "officer"]
    done = subprocess.run(cmd + ["add", "Hoa", "--telegram-id", "5551"], input=PASSWORD + "\n", text=True,
                          capture_output=True, env=env, cwd=ROOT)
    assert done.returncode == 0 and "Đã thêm tài khoản hoa" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    officer = accounts.authenticate(db_url, "hoa", PASSWORD)
    assert officer is not None and officer.handoff_id == 5551
    weak = subprocess.run(cmd + ["passwd", "hoa"], input="ngan\n", text=True, capture_output=True, env=env, cwd=ROOT)
    assert weak.returncode == 1 and "ít nhất" in weak.stderr
    subprocess.run(cmd + ["passwd", "hoa"], input="mat-khau-moi-12345\n", text=True, env=env, cwd=ROOT, check=True)
    assert accounts.authenticate(db_url, "hoa", PASSWORD) is None
    assert accounts.authenticate(db_url, "hoa", "mat-khau-moi-12345") is not None
    subprocess.run(cmd + ["remove", "hoa"], text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    assert accounts.authenticate(db_url, "hoa", "mat-khau-moi-12345") is None
