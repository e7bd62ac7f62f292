"""Officer commands over Telegram (real python-telegram-bot, fake Bot API): only OFFICER_TELEGRAM_IDS
may list appointments and close a day; affected residents get a notice with new times."""
from __future__ import annotations

from hotich.booking.clock import system_clock
from hotich.booking.reminders import checklist_from_kb
from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.config import load_settings
from bot import reminders as gateway_reminders
from bot.web.app import DELIVERY_KEY
from tests.test_telegram_adapter import ALICE, BOB, buttons_of, harness

OFFICER = ALICE
RESIDENT = BOB


async def test_only_officers_list_and_close_and_residents_are_told(sqlite_url):
    settings = load_settings()
    profile = load_profile(settings.commune_profile)
    svc = BookingService(sqlite_url, profile, system_clock)
    day = svc.free_days("khai_sinh")[1][0] if len(svc.free_days("khai_sinh")) > 1 else svc.free_days("khai_sinh")[0][0]
    slot = svc.free_slots("khai_sinh", day)[0]
    b = svc.book(f"telegram:{RESIDENT}", "khai_sinh", day, slot.start, "Nguyễn Văn An", "0912345678")

    async with harness(sqlite_url, officer_telegram_ids=frozenset({OFFICER})) as h:
        # A resident typing the officer command gets the normal assistant, not the list.
        (reply,) = await h.say("/lichhen", user=RESIDENT)
        assert "📅" not in reply["text"] and "0912" not in reply["text"]
        (reply,) = await h.say("/dongcua mai", user=RESIDENT)
        assert "Đã đóng" not in reply["text"]
        assert svc.get(f"telegram:{RESIDENT}", b.code).status == "booked"

        (listing,) = await h.say("/lichhen", user=OFFICER)
        assert "📅 Hôm nay" in listing["text"] and "Ngày mai" in listing["text"]

        (usage,) = await h.say("/dongcua", user=OFFICER)
        assert "Cách dùng" in usage["text"]
        (closed,) = await h.say(f"/dongcua {day:%d/%m} họp cơ quan", user=OFFICER)
        assert "Đã đóng cả ngày" in closed["text"] and b.code in closed["text"]
        assert svc.get(f"telegram:{RESIDENT}", b.code).status == "displaced"
        assert svc.free_slots("khai_sinh", day) == []

        # The gateway's notice task pushes the closure notice through the Telegram channel.
        sender = gateway_reminders.NoticeSender(sqlite_url, profile, checklist_from_kb(None),
                                                h.app[DELIVERY_KEY], system_clock)
        before = len(h.tg.messages_to(RESIDENT))
        assert await sender.run_once() == 1
        msgs = await h.tg.wait_messages(RESIDENT, before + 1)
        notice = msgs[-1]
        assert "họp cơ quan" in notice["text"] and b.code in notice["text"]
        assert [x["text"] for x in buttons_of(notice)] == ["🗓 Chọn giờ mới", "❌ Hủy lịch"]
        assert await sender.run_once() == 0
