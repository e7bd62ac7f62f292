"""Day-before reminders and closure notices: stored in the DB, sent exactly once."""
from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot import reminders as gateway_reminders
from hotich.booking import officer
from hotich.booking import reminders as rem
from hotich.booking.clock import VN_TZ, fixed_clock
from hotich.config import load_settings
from hotich.db.models import OutboundMessage
from bot.delivery import Delivery
from hotich.db.models.booking import BookingNotice
from hotich.db.session import session_scope
from hotich.kb import KnowledgeBase
from tests.booking_helpers import NOW, profile, service

FRI = date(2026, 12, 4)
DUE = datetime(2026, 12, 3, 17, 0, tzinfo=VN_TZ)       # the day before, at reminder_time
CHECKLIST = rem.checklist_from_kb(KnowledgeBase.load(load_settings().kb_dir))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, channel, user_id, message):
        with self.lock:
            self.sent.append((channel, user_id, message))
        return True


def test_reminder_goes_out_the_day_before_at_the_configured_time(db_url):
    svc = service(db_url)
    b = svc.book("telegram:5", "ket_hon", FRI, 9 * 60, "Nguyễn Văn An", "0912345678")
    rec = Recorder()
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE - timedelta(minutes=1), rec, "w") == 0
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE, rec, "w") == 1
    (channel, user_id, msg), = rec.sent
    assert (channel, user_id) == ("telegram", "5")
    assert b.code in msg.text and "ngày mai" in msg.text and "09:00" in msg.text
    assert all(f"• {item}" in msg.text for item in CHECKLIST("ket_hon"))
    assert [x.title for x in msg.buttons] == ["✅ Vẫn đến", "🗓 Đổi lịch", "❌ Hủy lịch"]
    assert all(b.code in x.payload for x in msg.buttons)
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE + timedelta(hours=1), rec, "w") == 0


def test_reminder_time_is_configurable(db_url):
    svc = service(db_url, reminder_time=datetime(2000, 1, 1, 8, 0).time())
    svc.book("web:s", "khai_sinh", FRI, 9 * 60, "Người S", "0912345678")
    rec = Recorder()
    p = profile(reminder_time=datetime(2000, 1, 1, 8, 0).time())
    assert rem.deliver_due(db_url, p, CHECKLIST, datetime(2026, 12, 3, 7, 59, tzinfo=VN_TZ), rec, "w") == 0
    assert rem.deliver_due(db_url, p, CHECKLIST, datetime(2026, 12, 3, 8, 0, tzinfo=VN_TZ), rec, "w") == 1


def test_moved_or_cancelled_bookings_get_no_stale_reminder(db_url):
    svc = service(db_url)
    moved = svc.book("web:m", "khai_sinh", FRI, 9 * 60, "Người M", "0912345678")
    gone = svc.book("web:g", "khai_sinh", FRI, 10 * 60, "Người G", "0912345678")
    svc.reschedule("web:m", moved.code, date(2026, 12, 7), 9 * 60)     # Monday → reminder Sunday 17:00
    svc.cancel("web:g", gone.code)
    rec = Recorder()
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE, rec, "w") == 0
    sunday = datetime(2026, 12, 6, 17, 0, tzinfo=VN_TZ)
    assert rem.deliver_due(db_url, profile(), CHECKLIST, sunday, rec, "w") == 1
    assert moved.code in rec.sent[0][2].text and "07/12" in rec.sent[0][2].text


def test_exactly_once_with_two_concurrent_senders(db_url):
    svc = service(db_url, capacity_per_slot=10, max_future_bookings_per_resident=5)
    codes = [svc.book(f"web:u{i}", "khai_sinh", FRI, 8 * 60 + 30 * (i % 6), f"Người {i}", f"09123456{i:02d}").code
             for i in range(24)]
    rec = Recorder()
    barrier = threading.Barrier(2)

    def sender(name: str) -> None:
        barrier.wait()
        for _ in range(3):
            rem.deliver_due(db_url, profile(), CHECKLIST, DUE, rec, name)

    threads = [threading.Thread(target=sender, args=(n,)) for n in ("gateway-a", "gateway-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    per_user = Counter(uid for _, uid, _ in rec.sent)
    assert len(per_user) == len(codes) and set(per_user.values()) == {1}
    with session_scope(db_url) as s:
        assert set(s.scalars(select(BookingNotice.state))) == {"sent"}


def test_a_crash_after_claiming_does_not_lose_or_duplicate_the_reminder(db_url):
    svc = service(db_url)
    svc.book("telegram:9", "khai_sinh", FRI, 9 * 60, "Người C", "0912345678")
    (nid,) = rem.due_ids(db_url, DUE)
    assert rem.claim(db_url, nid, "crashed-gateway", DUE)       # … and the process dies here
    rec = Recorder()
    # Restarted gateway, a minute later: the claim is still fresh, nothing is sent twice.
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE + timedelta(minutes=1), rec, "restarted") == 0
    # After the lease the restarted gateway takes it over and sends it, once.
    later = DUE + rem.LEASE + timedelta(seconds=1)
    assert rem.deliver_due(db_url, profile(), CHECKLIST, later, rec, "restarted") == 1
    assert rem.deliver_due(db_url, profile(), CHECKLIST, later + rem.LEASE * 2, rec, "restarted") == 0
    assert len(rec.sent) == 1
    # The crashed gateway coming back cannot mark it or send it again.
    assert not rem.mark_sent(db_url, nid, "crashed-gateway", later)


def test_a_failed_send_is_retried_later(db_url):
    svc = service(db_url)
    svc.book("telegram:3", "khai_sinh", FRI, 9 * 60, "Người R", "0912345678")
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE, lambda *a: False, "w") == 0
    rec = Recorder()
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE + timedelta(minutes=1), rec, "w") == 1
    assert len(rec.sent) == 1


def test_gateway_task_stores_web_notices_for_the_page_and_pushes_telegram(db_url):
    svc = service(db_url)
    web = svc.book("web:sess-1", "khai_sinh", FRI, 9 * 60, "Người W", "0912345671")
    svc.book("telegram:77", "chung_thuc", FRI, 10 * 60, "Người T", "0912345672")
    svc.book("zalo_oa:1", "chung_thuc", FRI, 10 * 60, "Người Z", "0912345673")   # channel not connected
    pushed: list[tuple[str, list, str]] = []

    class TelegramStandIn:
        async def push(self, user_id, messages, kind):
            pushed.append((user_id, messages, kind))

    async def scenario():
        delivery = Delivery(db_url, {"telegram": TelegramStandIn()})
        first = await gateway_reminders.NoticeSender(db_url, profile(), CHECKLIST, delivery,
                                                     fixed_clock(DUE)).run_once()
        again = await gateway_reminders.NoticeSender(db_url, profile(), CHECKLIST, delivery,
                                                     fixed_clock(DUE)).run_once()
        waiting = await delivery.take("web", "sess-1")
        return first, again, waiting

    first, again, waiting = asyncio.run(scenario())
    assert (first, again) == (3, 0)
    assert [(u, k) for u, _, k in pushed] == [("77", "notice")] and pushed[0][1][0].buttons[0].title == "✅ Vẫn đến"
    [for_page] = waiting                                   # the web page collects its notice once
    assert web.code in for_page.messages[0].text
    with session_scope(db_url) as s:
        states = Counter(s.scalars(select(BookingNotice.state)))
        queued = s.scalars(select(OutboundMessage.sender_id).where(OutboundMessage.state == "pending")).all()
    assert states == {"sent": 3}
    assert queued == ["zalo_oa:1"]                         # kept until the Zalo channel can push it


def test_closure_notice_is_sent_once_with_new_times(db_url):
    svc = service(db_url)
    b = svc.book("telegram:12", "khai_sinh", FRI, 9 * 60, "Người K", "0912345678")
    officer.close(db_url, profile(), NOW, FRI, None, "cán bộ đi tập huấn", "1")
    rec = Recorder()
    assert rem.deliver_due(db_url, profile(), CHECKLIST, NOW, rec, "w") == 1
    msg = rec.sent[0][2]
    assert "cán bộ đi tập huấn" in msg.text and b.code in msg.text
    assert [x.title for x in msg.buttons] == ["🗓 Chọn giờ mới", "❌ Hủy lịch"]
    # No reminder for the closed day either.
    assert rem.deliver_due(db_url, profile(), CHECKLIST, DUE, rec, "w") == 0
