"""Vietnamese day/time phrases, relative to a fixed 'now' (Wednesday 02/12/2026 10:00, Hanoi)."""
from datetime import date, datetime, time

import pytest

from hotich.booking.clock import VN_TZ
from hotich.booking.dates import AFTERNOON, MORNING, parse_when
from hotich.booking.phone import find_phone, normalize_phone
from hotich.booking.codes import ALPHABET, find_code, new_code, normalize_code
from tests.booking_helpers import NOW


@pytest.mark.parametrize("text, day, at, period", [
    ("mai", date(2026, 12, 3), None, None),
    ("ngày mai", date(2026, 12, 3), None, None),
    ("ngay mai", date(2026, 12, 3), None, None),
    ("ngày kia", date(2026, 12, 4), None, None),
    ("ngày mốt", date(2026, 12, 4), None, None),
    ("hôm nay", date(2026, 12, 2), None, None),
    ("thứ 2 tuần sau", date(2026, 12, 7), None, None),
    ("thu 2 tuan sau", date(2026, 12, 7), None, None),
    ("thứ 6 tuần sau", date(2026, 12, 11), None, None),
    ("t6", date(2026, 12, 4), None, None),
    ("thứ sáu", date(2026, 12, 4), None, None),
    ("thứ 4", date(2026, 12, 2), None, None),           # today is Wednesday
    ("thứ ba", date(2026, 12, 8), None, None),
    ("chủ nhật", date(2026, 12, 6), None, None),
    ("15/12", date(2026, 12, 15), None, None),
    ("15-12-2026", date(2026, 12, 15), None, None),
    ("ngày 15 tháng 12", date(2026, 12, 15), None, None),
    ("5/1", date(2027, 1, 5), None, None),              # already past this year → next year
    ("ngày 3", date(2026, 12, 3), None, None),
    ("2026-12-03", date(2026, 12, 3), None, None),      # button payload
    ("chiều thứ 6", date(2026, 12, 4), None, AFTERNOON),
    ("chieu thu sau", date(2026, 12, 4), None, AFTERNOON),
    ("sáng mai 9h", date(2026, 12, 3), time(9, 0), MORNING),
    ("sang mai 9h", date(2026, 12, 3), time(9, 0), MORNING),
    ("đặt lịch kết hôn sáng thứ 6", date(2026, 12, 4), None, MORNING),
    ("9h30", None, time(9, 30), MORNING),
    ("14:30", None, time(14, 30), AFTERNOON),
    ("2 giờ chiều", None, time(14, 0), AFTERNOON),
    ("2h", None, time(14, 0), AFTERNOON),                # nobody books 2 a.m. at the commune
    ("9 rưỡi", None, time(9, 30), MORNING),
    ("lúc 14h30 ngày 4/12", date(2026, 12, 4), time(14, 30), AFTERNOON),
    ("đổi sang thứ 6", date(2026, 12, 4), None, None),   # "sang" = "to", not "morning"
    ("doi sang thu 6", date(2026, 12, 4), None, None),
    ("khai sinh", None, None, None),
])
def test_phrases(text, day, at, period):
    w = parse_when(text, NOW)
    assert (w.day, w.time, w.period) == (day, at, period)


def test_bare_hour_only_when_asked_for_a_time():
    assert parse_when("9", NOW).time is None
    assert parse_when("9", NOW, bare_hour=True).time == time(9, 0)


def test_relative_to_now_not_the_wall_clock():
    saturday = datetime(2027, 3, 6, 9, 0, tzinfo=VN_TZ)
    assert parse_when("mai", saturday).day == date(2027, 3, 7)
    assert parse_when("thứ 2 tuần sau", saturday).day == date(2027, 3, 8)
    assert parse_when("thứ 2", saturday).day == date(2027, 3, 8)


@pytest.mark.parametrize("raw, expected", [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("091.234.5678", "0912345678"),
    ("+84 912 345 678", "0912345678"), ("84912345678", "0912345678"), ("(+84)38-123-4567", "0381234567"),
    ("0312345678", "0312345678"), ("0512345678", "0512345678"), ("0712345678", "0712345678"),
    ("0812345678", "0812345678"),
    ("0212345678", None), ("0412345678", None), ("091234567", None), ("09123456789", None),
    ("02438123456", None), ("abc", None), ("", None),
])
def test_vietnamese_mobile_numbers(raw, expected):
    assert normalize_phone(raw) == expected


def test_phone_found_inside_a_sentence():
    assert find_phone("Nguyễn Văn An 0912 345 678")[0] == "0912345678"
    assert find_phone("Nguyễn Văn An 0912 345 678")[1] == "Nguyễn Văn An"
    assert find_phone("số nhà 12")[0] is None


def test_codes_are_short_unambiguous_and_found_in_text():
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    for c in codes:
        assert len(c) == 6 and set(c) <= set(ALPHABET) and not set(c) & set("01OILSZB258")
    c = next(iter(codes))
    assert find_code(f"hủy lịch {c.lower()} giúp mình") == c
    assert normalize_code(c.lower()) == c
    assert find_code("đặt lịch khai sinh") is None
