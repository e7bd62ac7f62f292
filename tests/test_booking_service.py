"""Booking service on SQLite and PostgreSQL: no double booking, limits, reschedule, cancel, closures."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from hotich.booking import officer
from hotich.booking.reminders import deliver_due
from hotich.booking.service import BookingNotFound, NotBookable, SlotFull, TooManyBookings
from hotich.db.models.booking import Booking, BookingNotice, BookingSlot
from hotich.db.session import get_engine, session_scope
from tests.booking_helpers import NOW, profile, service

THU = date(2026, 12, 3)          # Thursday after NOW (Wednesday)
NINE = 9 * 60


def seats(db_url, day, start):
    with session_scope(db_url) as s:
        return s.scalar(select(BookingSlot.booked).where(BookingSlot.day == day, BookingSlot.start_min == start)) or 0


def test_two_hundred_residents_race_for_three_places(db_url):
    svc = service(db_url, capacity_per_slot=3, max_future_bookings_per_resident=2)
    get_engine(db_url).dispose()
    barrier = threading.Barrier(50)
    results: dict[int, object] = {}

    def resident(i: int) -> None:
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        try:
            results[i] = svc.book(f"web:r{i}", "khai_sinh", THU, NINE, f"Người Số {i}", f"0912{i:06d}")
        except SlotFull as full:
            results[i] = full
        except Exception as exc:       # anything else is a bug: keep it for the assertion
            results[i] = exc

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    kinds = Counter(type(r).__name__ for r in results.values())
    assert kinds == {"BookingView": 3, "SlotFull": 197}, kinds
    winners = [r for r in results.values() if not isinstance(r, Exception)]
    assert len({w.code for w in winners}) == 3
    assert seats(db_url, THU, NINE) == 3
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.day == THU, Booking.start_min == NINE)) == 3
    # The losers are offered the next free slots, not the full one.
    offers = [r.suggestions for r in results.values() if isinstance(r, SlotFull)]
    assert all(o and all((s.day, s.start) != (THU, NINE) and s.free > 0 for s in o) for o in offers)
    assert offers[0][0].day == THU and offers[0][0].hhmm == "09:30"


def test_marriage_takes_both_half_hours_or_nothing(db_url):
    svc = service(db_url, capacity_per_slot=1)
    svc.book("web:a", "khai_sinh", THU, 9 * 60 + 30, "Nguyễn Văn A", "0912345678")
    with pytest.raises(SlotFull):
        svc.book("web:b", "ket_hon", THU, NINE, "Trần Văn B", "0987654321")
    assert seats(db_url, THU, NINE) == 0           # the first half was rolled back
    b = svc.book("web:b", "ket_hon", THU, 10 * 60, "Trần Văn B", "0987654321")
    assert (b.minutes, seats(db_url, THU, 600), seats(db_url, THU, 630)) == (60, 1, 1)


def test_max_future_bookings_per_resident(db_url):
    svc = service(db_url, max_future_bookings_per_resident=2)
    svc.book("telegram:7", "khai_sinh", THU, NINE, "Lê Thị C", "0912345678")
    svc.book("telegram:7", "chung_thuc", THU, 10 * 60, "Lê Thị C", "0912345678")
    with pytest.raises(TooManyBookings) as exc:
        svc.book("telegram:7", "khai_tu", THU, 14 * 60, "Lê Thị C", "0912345678")
    assert exc.value.limit == 2 and len(exc.value.bookings) == 2
    assert seats(db_url, THU, 14 * 60) == 0        # the seat taken before the check was given back
    svc.book("telegram:8", "khai_tu", THU, 14 * 60, "Người Khác", "0912345679")


def test_reschedule_keeps_the_code_and_moves_the_seat(db_url):
    svc = service(db_url)
    b = svc.book("web:s1", "khai_sinh", THU, NINE, "Phạm Văn D", "0912345678")
    moved = svc.reschedule("web:s1", b.code, date(2026, 12, 4), 14 * 60)
    assert moved.code == b.code and (moved.day, moved.hhmm) == (date(2026, 12, 4), "14:00")
    assert seats(db_url, THU, NINE) == 0 and seats(db_url, date(2026, 12, 4), 14 * 60) == 1
    assert [x.code for x in svc.list_for("web:s1")] == [b.code]
    with pytest.raises(BookingNotFound):
        svc.reschedule("web:someone-else", b.code, THU, NINE)


def test_reschedule_to_a_full_slot_keeps_the_old_one(db_url):
    svc = service(db_url, capacity_per_slot=1)
    svc.book("web:x", "khai_sinh", THU, 10 * 60, "Người X", "0912345678")
    b = svc.book("web:s2", "khai_sinh", THU, NINE, "Người Y", "0912345678")
    with pytest.raises(SlotFull):
        svc.reschedule("web:s2", b.code, THU, 10 * 60)
    assert svc.get("web:s2", b.code).hhmm == "09:00" and seats(db_url, THU, NINE) == 1


def test_cancel_frees_the_seat_and_deletes_personal_data(db_url):
    svc = service(db_url, capacity_per_slot=1)
    b = svc.book("web:c1", "khai_sinh", THU, NINE, "Hoàng Văn E", "0912345678")
    with pytest.raises(SlotFull):
        svc.book("web:c2", "khai_sinh", THU, NINE, "Người Khác", "0912345679")
    svc.cancel("web:c1", b.code)
    assert seats(db_url, THU, NINE) == 0 and svc.list_for("web:c1") == []
    with session_scope(db_url) as s:
        row = s.scalar(select(Booking).where(Booking.code == b.code))
        assert (row.status, row.name, row.phone) == ("cancelled", None, None)
        assert s.scalar(select(BookingNotice.state).where(BookingNotice.booking_id == row.id)) == "cancelled"
    svc.book("web:c2", "khai_sinh", THU, NINE, "Người Khác", "0912345679")


def test_rules_are_enforced_by_the_service_too(db_url):
    svc = service(db_url)
    with pytest.raises(NotBookable) as e:
        svc.book("web:r", "khai_sinh", date(2026, 12, 6), NINE, "A B", "0912345678")   # Sunday
    assert e.value.reason == "closed_weekday"
    with pytest.raises(NotBookable) as e:
        svc.book("web:r", "khai_sinh", THU, 9 * 60 + 15, "A B", "0912345678")
    assert e.value.reason == "not_a_slot"
    with pytest.raises(NotBookable) as e:
        svc.book("web:r", "khai_sinh", NOW.date(), 10 * 60 + 30, "A B", "0912345678")  # within the lead time
    assert e.value.reason == "lead_time"


def test_forget_deletes_the_residents_bookings(db_url):
    svc = service(db_url)
    svc.book("web:f", "khai_sinh", THU, NINE, "Người F", "0912345678")
    assert svc.forget("web:f") == 1
    assert svc.list_for("web:f") == [] and seats(db_url, THU, NINE) == 0


def test_closing_a_day_notifies_every_affected_resident(db_url):
    svc = service(db_url)
    a = svc.book("web:a", "khai_sinh", THU, NINE, "Người A", "0912345678")
    b = svc.book("telegram:42", "ket_hon", THU, 14 * 60, "Người B", "0912345679")
    other = svc.book("web:c", "khai_sinh", date(2026, 12, 4), NINE, "Người C", "0912345670")
    res = officer.close(db_url, profile(), NOW, THU, None, "họp cơ quan", "111")
    assert sorted(res.affected) == sorted([a.code, b.code])
    assert svc.free_slots("khai_sinh", THU) == [] and seats(db_url, THU, NINE) == 0
    assert all(d != THU for d, _ in svc.free_days("khai_sinh"))
    with pytest.raises(SlotFull):
        svc.book("web:z", "khai_sinh", THU, 10 * 60, "Người Z", "0912345678")

    sent: list[tuple[str, str, str]] = []
    n = deliver_due(db_url, profile(), lambda p: [], NOW, lambda ch, uid, m: sent.append((ch, uid, m.text)), "w1")
    assert n == 2
    assert sorted((ch, uid) for ch, uid, _ in sent) == [("telegram", "42"), ("web", "a")]
    assert all("họp cơ quan" in t and "Các giờ còn trống gần nhất" in t for _, _, t in sent)
    assert deliver_due(db_url, profile(), lambda p: [], NOW, lambda *a: sent.append(a), "w1") == 0
    # The displaced booking keeps its code; rescheduling it takes a new seat.
    moved = svc.reschedule("web:a", a.code, date(2026, 12, 4), 10 * 60)
    assert moved.code == a.code and moved.status == "booked"
    assert svc.get("web:c", other.code).status == "booked"


def test_closing_one_slot_only_moves_the_bookings_in_it(db_url):
    svc = service(db_url)
    a = svc.book("web:a", "khai_sinh", THU, NINE, "Người A", "0912345671")
    m = svc.book("web:m", "ket_hon", THU, 8 * 60 + 30, "Người M", "0912345672")   # 08:30–09:30 overlaps 09:00
    keep = svc.book("web:k", "khai_sinh", THU, 10 * 60, "Người K", "0912345673")
    res = officer.close(db_url, profile(), NOW, THU, NINE, "", "111")
    assert sorted(res.affected) == sorted([a.code, m.code])
    assert svc.get("web:k", keep.code).status == "booked"
    assert seats(db_url, THU, 8 * 60 + 30) == 0 and "09:00" not in [s.hhmm for s in svc.free_slots("khai_sinh", THU)]
    assert "08:30" in [s.hhmm for s in svc.free_slots("khai_sinh", THU)]


def test_officer_listing_and_arguments(db_url):
    svc = service(db_url)
    svc.book("web:a", "ket_hon", THU, NINE, "Nguyễn Văn An", "0912345678")
    text = officer.day_listing(db_url, profile(), NOW)
    assert "Ngày mai" in text and "09:00–10:00" in text and "Nguyễn Văn An" in text and "0912 345 678" in text
    req = officer.parse_close_args(["15/12", "09:00", "cán", "bộ", "đi", "họp"], NOW)
    assert (req.day, req.start, req.reason) == (date(2026, 12, 15), 540, "cán bộ đi họp")
    assert officer.parse_close_args(["mai"], NOW).start is None
    assert officer.parse_close_args(["xyz"], NOW) is None
    assert officer.is_officer(111, frozenset({111})) and not officer.is_officer(222, frozenset({111}))
    assert not officer.is_officer(None, frozenset())


def test_the_booking_cap_counts_the_same_phone_number_on_every_channel(db_url):
    svc = service(db_url, max_future_bookings_per_resident=2)
    svc.book("web:lan-phone-01", "khai_sinh", THU, NINE, "Trần Thị Lan", "0912 345 678")
    svc.book("telegram:4242", "chung_thuc", THU, 10 * 60, "Trần Thị Lan", "0912345678")
    with pytest.raises(TooManyBookings) as exc:       # a third one, from a second browser
        svc.book("web:lan-phone-02", "khai_tu", THU, 14 * 60, "Lan", "+84 912 345 678")
    assert exc.value.limit == 2
    assert seats(db_url, THU, 14 * 60) == 0
    svc.book("web:neighbour-001", "khai_tu", THU, 14 * 60, "Người Khác", "0987654321")
