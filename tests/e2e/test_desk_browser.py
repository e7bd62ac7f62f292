"""The officer's desk in headless Chromium against the real trained stack: an officer signs in,
sees the appointment a resident just booked through the chat, opens a paper sent ahead, asks for
more (the resident receives the note), takes an escalated chat and answers it from the page while
a second officer cannot take it."""
from __future__ import annotations

import re
import subprocess
import uuid

import pytest

from hotich.config import ROOT
from hotich.handoff import ownership
from hotich.uploads.service import UploadService
from hotich.uploads.storage import BlobStore
from hotich.kb import KnowledgeBase
from tests.e2e.conftest import phone_for, spaced
from tests.e2e.test_web_chat_browser import CHROMIUM, CHROMIUM_ARGS
from tests.uploads_samples import jpeg_with_gps

pytestmark = pytest.mark.e2e
PASSWORD = "mat-khau-can-bo-1"
CODE_RE = re.compile(r"\b([A-Z0-9]{6})\b")
TIMEOUT_MS = 60_000


def officer_cli(stack, *args: str, password: str | None = None) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "hotich"), "officer", *args], input=password or "", text=True,
                   check=True, env={**stack._env(), "DATABASE_URL": stack.db_url}, capture_output=True)


@pytest.fixture
def officers(stack):
    officer_cli(stack, "add", "lan", "--admin", password=PASSWORD)
    officer_cli(stack, "add", "minh", password=PASSWORD)
    try:
        yield
    finally:   # the other e2e tests expect a commune without desk officers
        officer_cli(stack, "remove", "lan")
        officer_cli(stack, "remove", "minh")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, stack, username: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
    page.goto(f"{stack.web_url}/can-bo/lich-hen")
    assert "/can-bo/dang-nhap" in page.url                      # not signed in: the sign-in page
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/can-bo/lich-hen"))
    return page


def book_through_chat(chat, stack, sid: str) -> str:
    """A resident books a birth registration on the web chat, answering as the bot asks."""
    status, body = chat(stack, sid, payload='/book_appointment{"procedure":"khai_sinh"}')
    for _ in range(10):
        assert status == 200, body
        text = "\n".join(m.get("text", "") for m in body["messages"])
        found = re.search(r"Mã lịch hẹn: ([A-Z0-9]{6})", text)
        if found:
            return found.group(1)
        buttons = [b for m in body["messages"] for b in m.get("buttons", [])]
        # the form's own choices: a day, a time, then "yes" to the summary
        choices = ([b for b in buttons if b["payload"].startswith("/affirm")]
                   or [b for b in buttons if b["payload"].startswith("/inform")])
        if choices:
            status, body = chat(stack, sid, payload=choices[0]["payload"])
        elif "điện thoại" in text.lower():
            status, body = chat(stack, sid, spaced(phone_for(sid)))
        else:
            status, body = chat(stack, sid, "Nguyễn Văn An")
    raise AssertionError(f"no booking code after the dialogue: {text}")


def test_officer_works_the_desk(stack, chat, browser, officers, tmp_path):
    resident = f"e2e-desk-{uuid.uuid4().hex[:8]}"
    code = book_through_chat(chat, stack, resident)

    lan = sign_in(browser, stack, "lan")
    lan.goto(f"{stack.web_url}/can-bo/lich-hen?tuan=1")
    row = lan.locator(f"tr[data-code='{code}']")
    if not row.count():                                          # booked into next week
        lan.get_by_role("link", name="Sau →").click()
    assert "Nguyễn Văn An" in lan.locator(f"tr[data-code='{code}']").inner_text()

    # A paper the resident sent ahead (the chat path is covered by the uploads e2e test).
    svc = UploadService(stack.db_url, BlobStore(stack.env["UPLOAD_DIR"], stack.env["UPLOAD_KEY"]),
                        KnowledgeBase.load(ROOT / "data" / "kb"))
    rid = svc.resident_for(f"web:{resident}")
    svc.give_consent(rid)
    svc.start(rid, "khai_sinh")
    _, f = svc.add_file(rid, jpeg_with_gps(), "giay-chung-sinh.jpg")
    svc.attach(rid, f.public_id, 2)
    sub = svc.submit(rid)
    try:
        lan.goto(f"{stack.web_url}/can-bo/ho-so")
        lan.get_by_role("link", name=sub.public_id).click()
        with lan.expect_popup() as popup:
            lan.get_by_role("link", name=re.compile("Mở tệp 1")).click()
        assert popup.value.evaluate("document.contentType") == "image/jpeg"
        lan.locator("input[name=muc_2][value=more]").check()
        lan.get_by_label("Ghi chú mục 2").fill("Ảnh bị mờ, anh chụp lại giúp em")
        lan.get_by_role("button", name="Lưu đánh giá và báo cho người dân").click()
        assert "Đã gửi cho người dân" in lan.locator(".notice").inner_text()

        page = browser.new_context(locale="vi-VN").new_page()
        page.goto(f"{stack.web_url}/")
        page.evaluate(f"localStorage.setItem('hotich_session_id', '{resident}')")
        page.reload()
        page.locator(".msg.bot .bubble", has_text="Ảnh bị mờ").first.wait_for(timeout=TIMEOUT_MS)

        # The resident asks for a person; the officer takes the chat and answers from the page.
        box = page.locator("#message")
        box.fill("cho tôi gặp cán bộ")
        box.press("Enter")
        page.locator(".msg.bot .bubble", has_text=re.compile("chuyển|cán bộ", re.I)).last.wait_for(timeout=TIMEOUT_MS)
        conv = ownership.get(stack.db_url, f"web:{resident}")
        assert conv is not None and conv.owner == "waiting"
        lan.goto(f"{stack.web_url}/can-bo/")
        lan.get_by_role("link", name=re.compile("Người dân")).first.click()
        lan.get_by_role("button", name="Nhận trả lời").click()
        lan.get_by_label("Trả lời người dân").fill("Chào anh, em là cán bộ hộ tịch, em nghe ạ.")
        lan.get_by_role("button", name="Gửi").click()
        page.locator(".msg.bot .bubble", has_text="em là cán bộ hộ tịch").wait_for(timeout=TIMEOUT_MS)

        box.fill("cảm ơn em, anh muốn hỏi thêm về lệ phí")
        box.press("Enter")
        lan.locator("#messages", has_text="hỏi thêm về lệ phí").wait_for(timeout=TIMEOUT_MS)   # no reload

        minh = sign_in(browser, stack, "minh")
        minh.goto(f"{stack.web_url}/can-bo/tro-chuyen/{conv.id}")
        assert "Cán bộ khác đang trả lời" in minh.content()
        assert minh.get_by_role("button", name="Nhận trả lời").count() == 0

        lan.get_by_role("button", name="Trả lại cho trợ lý").click()
        assert ownership.get(stack.db_url, f"web:{resident}").owner == "closed"
    finally:   # other e2e tests share the stack: leave no papers behind
        svc.delete_all_for_resident(rid)
