"""What a resident sees on a phone: escaped HTML, readable lists, chunks within Telegram's limit,
inline keyboards whose callback data always fits in 64 bytes."""
from __future__ import annotations

from bot.messages import Button, OutgoingMessage
from bot.telegram.callbacks import fits
from bot.telegram.render import MAX_LEN, render, split_html, tg_len, to_html
from tests.fake_telegram import _ApiError, _check_html


def _valid_html(text: str) -> bool:
    try:
        _check_html(text)
        return True
    except _ApiError:
        return False


def test_user_and_kb_text_is_escaped():
    html = to_html('Bạn hỏi: <script>alert("x")</script> & "Tờ khai" <b>')
    assert "&lt;script&gt;" in html and "&amp;" in html and "<script>" not in html
    assert _valid_html(html)


def test_lists_read_well_on_a_phone():
    html = to_html("Giấy tờ cần có:\n- Tờ khai\n* CCCD\n  - bản chính\n1. Nộp hồ sơ")
    assert html.split("\n") == ["Giấy tờ cần có:", "• Tờ khai", "• CCCD", "   ◦ bản chính", "1. Nộp hồ sơ"]


def test_bold_markup_becomes_html_bold_only_when_balanced():
    assert to_html("**Lệ phí**: miễn") == "<b>Lệ phí</b>: miễn"
    assert to_html("2 ** 3") == "2 ** 3"


def test_long_text_is_split_at_paragraph_boundaries():
    paras = [f"Đoạn {i}: " + "thủ tục hộ tịch " * 60 for i in range(12)]   # ~1000 chars each
    chunks = split_html("\n\n".join(paras))
    assert len(chunks) > 1
    assert all(tg_len(c) <= MAX_LEN for c in chunks)
    # no paragraph is cut in two: every chunk starts with a paragraph's start
    assert all(c.startswith("Đoạn ") for c in chunks)
    assert sum(c.count("Đoạn ") for c in chunks) == 12


def test_a_single_huge_paragraph_or_word_still_fits_and_stays_valid_html():
    text = ("a<b " * 3000) + "\n" + "x" * 10000
    chunks = split_html(text)
    assert all(tg_len(c) <= MAX_LEN and _valid_html(c) for c in chunks)
    joined = "".join(chunks).replace("&lt;", "<")
    assert joined.count("a<b") == 3000 and joined.count("x") == 10000


def test_buttons_become_an_inline_keyboard_with_short_callback_data():
    long_payload = '/ask_documents{"procedure":"xac_nhan_hon_nhan","case":"da_ly_hon","x":"' + "y" * 40 + '"}'
    stored = {}

    def data_for(payload):
        if fits(payload):
            return payload
        stored["cb:1"] = payload
        return "cb:1"

    msg = OutgoingMessage("Kết hôn", [Button("Giấy tờ", "/ask_documents"), Button("Lệ phí", "/ask_fee"),
                                      Button("Thời gian giải quyết", long_payload),
                                      Button("Cổng dịch vụ công", "https://dichvucong.gov.vn")])
    [chunk] = render(msg, data_for)
    rows = chunk.keyboard.inline_keyboard
    assert [[b.text for b in r] for r in rows] == [["Giấy tờ", "Lệ phí"], ["Thời gian giải quyết"], ["Cổng dịch vụ công"]]
    assert rows[1][0].callback_data == "cb:1" and stored["cb:1"] == long_payload
    assert rows[2][0].url == "https://dichvucong.gov.vn"
    assert all(len((b.callback_data or "").encode()) <= 64 for r in rows for b in r)


def test_keyboard_goes_on_the_last_chunk_and_buttons_alone_get_a_prompt():
    msg = OutgoingMessage("\n\n".join(["đoạn " * 500] * 3), [Button("Có", "/affirm")])
    chunks = render(msg, lambda p: p)
    assert len(chunks) > 1
    assert [c.keyboard is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    only_buttons = render(OutgoingMessage("", [Button("Có", "/affirm")]), lambda p: p)
    assert len(only_buttons) == 1 and only_buttons[0].text and only_buttons[0].keyboard


def test_empty_message_sends_nothing():
    assert render(OutgoingMessage(""), lambda p: p) == []
