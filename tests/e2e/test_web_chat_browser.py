"""A resident uses the web chat in a real browser against the real trained stack."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"   # Debian's Chromium; no `playwright install`
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # A fresh context per test: new localStorage, so a new web session.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


def bot_bubbles(page):
    return page.locator(".msg.bot .bubble")


def wait_answer(page, has_text=None):
    """Wait for a bot bubble (matching has_text); fail at once with its text if an error bubble shows."""
    answer = bot_bubbles(page).filter(has_text=has_text) if has_text is not None else bot_bubbles(page)
    error = page.locator(".msg.error .bubble")
    answer.first.or_(error.first).wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert not error.count(), f"the page shows an error: {error.first.inner_text()}"
    return answer


def test_resident_asks_about_birth_registration_and_taps_a_button(stack, page):
    page.goto(f"{stack.web_url}/")
    assert "Xã Song Phượng" in page.locator("header").inner_text()
    wait_answer(page)                                                # the greeting

    box = page.get_by_label("Nhập câu hỏi của bạn")
    box.fill("làm giấy khai sinh cần giấy tờ gì")
    box.press("Enter")
    wait_answer(page, re.compile("giấy chứng sinh", re.I))
    assert page.locator(".msg.me .bubble").last.inner_text() == "làm giấy khai sinh cần giấy tờ gì"

    with_buttons = page.locator(".msg.bot:has(.chip)")
    chips = with_buttons.nth(with_buttons.count() - 1).locator(".chip")   # pinned: the answer may add more
    assert chips.count() > 0, "the answer offers no buttons"
    title = chips.first.inner_text()
    replies = page.locator(".msg.bot .bubble, .msg.error .bubble")
    before = replies.count()
    chips.first.dblclick()                                           # a double tap acts once
    replies.nth(before).wait_for(timeout=ANSWER_TIMEOUT_MS)          # (the page's CSP forbids eval)
    assert not page.locator(".msg.error").count(), page.locator(".msg.error .bubble").first.inner_text()
    assert page.locator(".msg.me .bubble").last.inner_text() == title
    assert chips.first.is_disabled()
    assert bot_bubbles(page).last.inner_text().strip()
    page.wait_for_timeout(1000)
    assert page.locator(".msg.me .bubble", has_text=title).count() == 1
    assert not page.locator(".msg.error").count()


def test_qr_poster_link_opens_the_marriage_overview(stack, page):
    page.goto(f"{stack.web_url}/?start=kh_TT01")
    wait_answer(page, re.compile("kết hôn", re.I))
    assert "?start=" not in page.url            # a reload does not count as a second scan
    assert not page.locator(".msg.error").count()


def stored_session(page) -> str | None:
    for origin in page.context.storage_state()["origins"]:
        for item in origin["localStorage"]:
            if item["name"] == "hotich_session_id":
                return item["value"]
    return None


def test_new_conversation_button_forgets_the_previous_person_on_a_shared_phone(stack, page):
    page.goto(f"{stack.web_url}/")
    wait_answer(page)
    box = page.get_by_label("Nhập câu hỏi của bạn")
    box.fill("lệ phí kết hôn bao nhiêu")
    box.press("Enter")
    wait_answer(page, re.compile("kết hôn", re.I))
    first_id = stored_session(page)
    pending = []
    page.on("request", lambda r: pending.append(r.url) if "/api/pending" in r.url else None)

    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    wait_answer(page)                                                # a fresh greeting
    assert page.locator(".msg.me").count() == 0                      # the previous words are gone
    assert "lệ phí kết hôn" not in page.locator("#chat").inner_text()
    second_id = stored_session(page)
    assert second_id and second_id != first_id
    page.reload()
    wait_answer(page)
    assert stored_session(page) == second_id
    assert all("session_id" not in url for url in pending)           # never in a URL
