"""The Telegram channel against the real trained stack (actions server + Rasa + gateway process),
with python-telegram-bot in the gateway talking real HTTP to the fake Bot API server
(tests/fake_telegram.py) through TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL.

Flows: a QR deep link opens the procedure with its buttons and is recorded; a free-text question;
a button press (acts once, keyboard marked); the same update delivered twice; Rasa stopped in the
middle of a conversation and started again — the resident is told at once and answered later.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.core import SERVICE_DOWN_TEXT
from bot.outbox import QUEUED_HEADER
from hotich.db.models import QrScan
from hotich.db.session import session_scope
from hotich.text.normalize import fold
from tests.e2e.conftest import gateway_on_fake_telegram
from tests.fake_telegram import ThreadedFakeTelegram

pytestmark = pytest.mark.e2e

SETTLE_S = 3.0


@pytest.fixture(scope="module")
def tg(stack):
    """The stack's gateway restarted with Telegram on, pointed at a fake Bot API server."""
    with ThreadedFakeTelegram() as fake, gateway_on_fake_telegram(stack, fake):
        yield fake


def buttons_of(msg: dict) -> list[dict]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def say(tg, user: int, text: str, timeout: float = 60) -> list[dict]:
    """Send a message; the bot's new messages once it has answered (no new message for a moment)."""
    before = len(tg.messages_to(user))
    tg.push_message(user, text)
    return wait_answer(tg, user, before, timeout)


def wait_answer(tg, user: int, before: int, timeout: float = 60) -> list[dict]:
    tg.wait_for(lambda: len(tg.messages_to(user)) > before, timeout)
    n = -1
    while n != len(tg.messages_to(user)):   # a reply may come in several messages
        n = len(tg.messages_to(user))
        time.sleep(1.0)
    return tg.messages_to(user)[before:]


def joined(msgs: list[dict]) -> str:
    return fold("\n".join(m.get("text", "") for m in msgs))


def test_deep_link_buttons_and_free_text(stack, tg):
    user = 9101
    first = say(tg, user, "/start kh_TT01")
    overview = first[0]
    assert "ket hon" in fold(overview["text"]), overview["text"]
    keyboard = [b for m in first for b in buttons_of(m)]
    titles = fold(" | ".join(b["text"] for b in keyboard))
    for word in ("giay to", "phi", "thoi gian", "lich"):
        assert word in titles, titles
    assert all(len(b["callback_data"].encode()) <= 64 for b in keyboard if "callback_data" in b)
    with session_scope(stack.db_url) as s:
        scan = s.execute(select(QrScan.board_code, QrScan.procedure, QrScan.new_resident)
                         .where(QrScan.channel == "telegram")).one()
    assert tuple(scan) == ("TT01", "ket_hon", True)

    # press "fee": answered once, the query answered, the keyboard marked
    holder = next(m for m in first if buttons_of(m))
    fee = next(b for b in buttons_of(holder) if "phi" in fold(b["text"]))
    before = len(tg.messages_to(user))
    tg.push_callback(user, holder["message_id"], fee["callback_data"])
    tg.push_callback(user, holder["message_id"], fee["callback_data"])    # double tap
    answer = wait_answer(tg, user, before)
    assert "phi" in joined(answer) and SERVICE_DOWN_TEXT not in [m["text"] for m in answer]
    time.sleep(SETTLE_S)
    assert len(tg.messages_to(user)) == before + len(answer), "double tap answered twice"
    assert len([c for c in tg.calls_of("answerCallbackQuery")]) >= 2
    marked = tg.sent[holder["message_id"]]
    assert [b["text"] for b in buttons_of(marked)] == ["✅ " + fee["text"]]

    # a free-text question about another procedure
    reply = say(tg, user, "làm giấy khai sinh cho con cần giấy tờ gì")
    assert "khai sinh" in joined(reply) and reply[0]["parse_mode"] == "HTML"


def test_malformed_deep_link_gives_the_welcome(stack, tg):
    reply = say(tg, 9102, "/start <không-hợp-lệ>")
    assert reply and SERVICE_DOWN_TEXT not in [m["text"] for m in reply]
    assert "chao" in joined(reply) or "xin chao" in joined(reply) or buttons_of(reply[-1])


def test_same_update_delivered_twice_is_answered_once(stack, tg):
    user = 9103
    before = len(tg.messages_to(user))
    update = tg.push_message(user, "lệ phí đăng ký khai tử bao nhiêu")
    answer = wait_answer(tg, user, before)
    tg.wait_idle()
    tg.redeliver(update)
    tg.wait_idle()
    time.sleep(SETTLE_S)
    assert len(tg.messages_to(user)) == before + len(answer)


def test_rasa_stopped_mid_conversation_then_started_again(stack, tg):
    user = 9104
    say(tg, user, "/start ks_TT02")
    stack.stop("rasa")
    try:
        t0 = time.monotonic()
        notice = say(tg, user, "đăng ký khai sinh quá hạn cần gì", timeout=30)
        assert [m["text"] for m in notice] == [SERVICE_DOWN_TEXT]
        assert time.monotonic() - t0 < 30
    finally:
        stack.start_rasa()
    before = len(tg.messages_to(user))
    later = wait_answer(tg, user, before, timeout=120)
    assert later[0]["text"] == QUEUED_HEADER
    assert "khai sinh" in joined(later[1:])
    # and the conversation goes on normally
    reply = say(tg, user, "cảm ơn")
    assert reply and SERVICE_DOWN_TEXT not in [m["text"] for m in reply]
