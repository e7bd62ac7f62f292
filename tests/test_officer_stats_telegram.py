"""`/thongke` over Telegram (real python-telegram-bot, fake Bot API): an officer sees which boards
bring residents; anybody else gets the normal assistant and no statistics."""
from __future__ import annotations

from bot.telegram.officer_stats import parse_days
from tests.test_telegram_adapter import ALICE, BOB, harness

OFFICER, RESIDENT = ALICE, BOB


async def test_officer_gets_scan_table_and_chart_resident_does_not(sqlite_url):
    async with harness(sqlite_url, officer_telegram_ids=frozenset({OFFICER})) as h:
        await h.say("/start kh_TT01", user=RESIDENT)        # a resident scans board TT01's kết hôn code
        (other,) = await h.say("/thongke", user=RESIDENT)
        assert "TT01" not in other["text"]

        before = len(h.tg.messages_to(OFFICER))
        await h.tg.push_message(OFFICER, "/thongke 7")
        table, chart = await h.tg.wait_messages(OFFICER, before + 2)
        row = next(line for line in table["text"].splitlines() if "TT01" in line)
        assert "Thượng Tháp" in row and " 1" in row          # board, place name and one scan
        assert "Đăng ký kết hôn" in table["text"] or "kết hôn" in table["text"].lower()
        assert chart.get("photo") and "7 ngày" in chart["caption"]


def test_days_argument_is_bounded():
    assert parse_days([]) == 30 and parse_days(["7"]) == 7 and parse_days(["abc"]) == 30
    assert parse_days(["100000"]) == 366 and parse_days(["-3"]) == 1


async def test_redelivered_officer_command_answers_once(sqlite_url):
    async with harness(sqlite_url, officer_telegram_ids=frozenset({OFFICER})) as h:
        update = await h.tg.push_message(OFFICER, "/thongke 3")
        await h.tg.wait_messages(OFFICER, 2)
        await h.tg.wait_idle()
        await h.tg.redeliver(update)
        await h.quiet()
        assert len(h.tg.messages_to(OFFICER)) == 2
        await h.say("/thongke 1", user=OFFICER, expect=2)          # a new command still works
        await h.quiet()
        captions = [m.get("caption") for m in h.tg.messages_to(OFFICER) if m.get("photo")]
        assert captions == ["Lượt quét mã QR, 3 ngày gần nhất", "Lượt quét mã QR, 1 ngày gần nhất"]
