"""What the booking form reads from a resident's message — plain functions, no database."""
from __future__ import annotations

from hotich.booking.form import (CONFIRM, DAY, NAME, PHONE, PROCEDURE, TIME, Message, check_name, check_phone,
                                 extract_day, extract_name_and_phone, extract_phone, extract_procedure, extract_time,
                                 required_slots)
from hotich.booking.names import parse_name
from tests.booking_helpers import NOW          # Wednesday 02/12/2026 10:00


def msg(text, intent="inform", requested=None, **entities):
    return Message.of(text, intent, entities, requested)


def test_names_as_residents_type_them():
    assert parse_name("nguyễn văn an") == "Nguyễn Văn An"
    assert parse_name("tên tôi là trần thị bình") == "Trần Thị Bình"
    assert parse_name("họ tên: Đặng Thị Hoa.") == "Đặng Thị Hoa"
    assert parse_name("An") is None                              # one word is not a full name
    assert parse_name("lệ phí bao nhiêu") is None                # a question
    assert parse_name("khai sinh") is None                       # a procedure
    assert parse_name("Nguyễn Văn 12") is None


def test_name_and_phone_in_one_message():
    got = extract_name_and_phone(msg("Trần Thị Bình 0987 654 321", requested=NAME))
    assert got[PHONE] == "0987654321"
    assert check_name(got[NAME]).slots == {NAME: "Trần Thị Bình"}
    # A question while the name is asked is not taken as the name: the rules answer it.
    assert extract_name_and_phone(msg("lệ phí bao nhiêu", "ask_fee", NAME)) == {}


def test_phone_numbers():
    assert check_phone("+84 912 345 678").slots == {PHONE: "0912345678"}
    bad = check_phone("0212345678")
    assert bad.slots == {PHONE: None} and "chưa đúng" in bad.messages[0].text
    assert extract_phone(msg("0912 34 56", "deny", PHONE)) == "0912 34 56"   # digits: meant as the number
    assert extract_phone(msg("không", "deny", PHONE)) is None               # "no": the form steps aside


def test_all_at_once_in_the_booking_request():
    m = msg("đặt lịch kết hôn sáng thứ 6", "book_appointment", procedure="ket_hon")
    assert extract_procedure(m) == "ket_hon"
    assert extract_day(m, NOW) == "2026-12-04"
    assert extract_time(m, NOW) == "morning"
    m = msg("đặt lịch khai sinh sáng mai 9h", "book_appointment")
    assert (extract_procedure(m), extract_day(m, NOW), extract_time(m, NOW)) == ("khai_sinh", "2026-12-03", "09:00")


def test_the_procedure_just_talked_about_is_used_when_booking_starts():
    assert extract_procedure(msg("/book_appointment", "book_appointment"), "chung_thuc") == "chung_thuc"
    assert extract_procedure(msg("mai", requested=DAY), "chung_thuc") is None


def test_answers_to_the_day_and_time_questions():
    assert extract_day(msg("", requested=DAY, booking_day="2026-12-07"), NOW) == "2026-12-07"     # a button
    assert extract_day(msg("thứ 2 tuần sau", requested=DAY), NOW) == "2026-12-07"
    assert extract_time(msg("9", requested=TIME), NOW) == "09:00"                 # a bare hour when asked
    assert extract_time(msg("2 giờ chiều", requested=TIME), NOW) == "14:00"
    assert extract_time(msg("đổi sang 14h", requested=CONFIRM), NOW) == "14:00"   # changed at the summary
    # Unreadable answers are passed on so that validation can say so; questions are not.
    assert extract_day(msg("hôm đó", requested=DAY), NOW) == "hôm đó"
    assert extract_day(msg("thứ 7 ủy ban có làm việc không", "ask_office_info", DAY), NOW) is None


def test_rescheduling_asks_no_name_or_phone():
    assert required_slots(rescheduling=True) == [PROCEDURE, DAY, TIME, CONFIRM]
    assert NAME in required_slots(rescheduling=False) and PHONE in required_slots(rescheduling=False)
