"""Slot calendar from the commune profile: hours, holidays, horizon, lead time, same-day cut-off."""
from datetime import date, datetime, timedelta

from hotich.booking import calendar as cal
from hotich.booking.clock import VN_TZ
from tests.booking_helpers import NOW, profile


def hhmm(slots):
    return [s.hhmm for s in slots]


def test_weekday_slots_follow_reception_hours():
    p = profile()
    slots = cal.slots_on(p, date(2026, 12, 3), NOW, "khai_sinh", {})
    assert hhmm(slots) == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30",
                           "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]
    assert all(s.free == p.booking.capacity_per_slot for s in slots)


def test_saturday_morning_only_and_no_sunday():
    p = profile()
    assert hhmm(cal.slots_on(p, date(2026, 12, 5), NOW, "khai_sinh", {})) == [
        "08:00", "08:30", "09:00", "09:30", "10:00", "10:30"]
    assert cal.slots_on(p, date(2026, 12, 6), NOW, "khai_sinh", {}) == []
    assert cal.day_problem(p, date(2026, 12, 6), NOW) == "closed_weekday"


def test_marriage_needs_a_longer_slot_inside_one_interval():
    p = profile()
    slots = cal.slots_on(p, date(2026, 12, 3), NOW, "ket_hon", {})
    assert hhmm(slots) == ["08:00", "08:30", "09:00", "09:30", "10:00", "13:30", "14:00", "14:30", "15:00", "15:30"]
    assert all(s.minutes == 60 for s in slots)
    assert cal.covered(p, 9 * 60, "ket_hon") == [540, 570]


def test_a_marriage_slot_is_free_only_if_both_halves_are():
    p = profile(capacity_per_slot=2)
    usage = {(date(2026, 12, 3), 570): cal.SlotUse(booked=2)}
    starts = hhmm(cal.slots_on(p, date(2026, 12, 3), NOW, "ket_hon", usage))
    assert "09:00" not in starts and "09:30" not in starts and "08:00" in starts and "10:00" in starts
    # … while a 30-minute procedure can still take 09:00
    assert "09:00" in hhmm(cal.slots_on(p, date(2026, 12, 3), NOW, "khai_sinh", usage))


def test_holidays_and_office_closures():
    p = profile()
    assert cal.day_problem(p, date(2027, 1, 1), datetime(2026, 12, 28, 9, 0, tzinfo=VN_TZ)) == "holiday"
    usage = {(date(2026, 12, 3), m): cal.SlotUse(closed=True) for m in cal.base_starts(p, date(2026, 12, 3))}
    assert cal.slots_on(p, date(2026, 12, 3), NOW, "khai_sinh", usage) == []
    assert date(2026, 12, 3) not in [d for d, _ in cal.free_days(p, NOW, "khai_sinh", usage)]


def test_horizon_is_fourteen_days():
    p = profile()
    days = cal.bookable_days(p, NOW)
    assert days[0] == NOW.date() and max(days) <= NOW.date() + timedelta(days=14)
    assert cal.day_problem(p, NOW.date() + timedelta(days=15), NOW) == "too_far"
    assert cal.day_problem(p, NOW.date() - timedelta(days=1), NOW) == "past"


def test_minimum_lead_time_today():
    p = profile()                     # now 10:00, lead 60 min → 11:00 onwards; morning ends 11:00
    today = cal.slots_on(p, NOW.date(), NOW, "khai_sinh", {})
    assert hhmm(today)[0] == "13:30"
    nine = datetime(2026, 12, 2, 9, 10, tzinfo=VN_TZ)
    assert hhmm(cal.slots_on(p, NOW.date(), nine, "khai_sinh", {}))[0] == "10:30"


def test_same_day_cutoff():
    p = profile()
    late = datetime(2026, 12, 2, 15, 0, tzinfo=VN_TZ)
    assert cal.day_problem(p, late.date(), late) == "same_day_cutoff"
    assert cal.slots_on(p, late.date(), late, "khai_sinh", {}) == []


def test_full_slots_disappear_and_next_free_is_offered():
    p = profile()
    d = date(2026, 12, 3)
    usage = {(d, 480): cal.SlotUse(booked=3)}
    assert "08:00" not in hhmm(cal.slots_on(p, d, NOW, "khai_sinh", usage))
    nxt = cal.next_free(p, NOW, "khai_sinh", usage, after=(d, 480), limit=3)
    assert [(s.day, s.hhmm) for s in nxt] == [(d, "08:30"), (d, "09:00"), (d, "09:30")]


def test_free_days_counts_places():
    p = profile()
    days = dict(cal.free_days(p, NOW, "khai_sinh", {}, limit=3))
    assert days[date(2026, 12, 3)] == 12 * 3
    assert list(days)[0] == NOW.date()          # this afternoon still has places
