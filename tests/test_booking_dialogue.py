"""The booking form's decisions (hotich.booking.dialogue), without Rasa."""
from __future__ import annotations

from datetime import date

from hotich.booking import dialogue as dlg
from hotich.booking.dialogue import CONFIRM, DAY, NAME, PERIOD, PHONE, PROCEDURE, TIME, Turn
from tests.booking_helpers import service

FRI = date(2026, 12, 4)


def empty():
    return {s: None for s in dlg.ALL_SLOTS}


def test_all_at_once_fills_procedure_day_and_period(db_url):
    svc = service(db_url)
    st = dlg.step(svc, empty(), Turn("đặt lịch kết hôn sáng thứ 6", "book_appointment", {"procedure": "ket_hon"}))
    assert st.slots[PROCEDURE] == "ket_hon" and st.slots[DAY] == "2026-12-04" and st.slots[PERIOD] == "morning"
    assert st.requested == TIME
    (ask,) = dlg.ask(svc, {**empty(), **st.slots}, TIME)
    assert ask.buttons and all(b.payload.startswith('/inform{"booking_time":"0') or '"10:' in b.payload
                               for b in ask.buttons)
    assert "60 phút" in ask.text


def test_exact_time_in_the_first_message(db_url):
    svc = service(db_url)
    st = dlg.step(svc, empty(), Turn("đặt lịch khai sinh sáng mai 9h", "book_appointment"))
    assert (st.slots[DAY], st.slots[TIME], st.requested) == ("2026-12-03", "09:00", NAME)


def test_a_closed_day_is_refused_with_a_reason(db_url):
    svc = service(db_url)
    state = {**empty(), PROCEDURE: "khai_sinh"}
    st = dlg.step(svc, state, Turn("chủ nhật", "inform", requested=DAY))
    assert st.filled and st.requested == DAY and "Chủ nhật" in st.messages[0].text


def test_name_and_phone_validation(db_url):
    svc = service(db_url)
    state = {**empty(), PROCEDURE: "khai_sinh", DAY: "2026-12-03", TIME: "09:00"}
    st = dlg.step(svc, state, Turn("nguyễn văn an", "inform", requested=NAME))
    assert st.slots[NAME] == "Nguyễn Văn An" and st.requested == PHONE
    state[NAME] = "Nguyễn Văn An"
    bad = dlg.step(svc, state, Turn("0212345678", "inform", requested=PHONE))
    assert bad.filled and PHONE in bad.slots and bad.slots[PHONE] is None and "chưa đúng" in bad.messages[0].text
    good = dlg.step(svc, state, Turn("+84 912 345 678", "inform", requested=PHONE))
    assert good.slots[PHONE] == "0912345678" and good.requested == CONFIRM
    both = dlg.step(svc, {**state, NAME: None}, Turn("Trần Thị Bình 0987654321", "inform", requested=NAME))
    assert both.slots[NAME] == "Trần Thị Bình" and both.slots[PHONE] == "0987654321"


def test_a_question_in_the_middle_is_left_to_the_rules(db_url):
    svc = service(db_url)
    state = {**empty(), PROCEDURE: "khai_sinh", DAY: "2026-12-03", TIME: "09:00"}
    st = dlg.step(svc, state, Turn("lệ phí bao nhiêu", "ask_fee", requested=NAME))
    assert not st.filled and st.slots == {}
    st = dlg.step(svc, state, Turn("không", "deny", requested=PHONE))
    assert not st.filled
    resumed = dlg.step(svc, state, Turn("lệ phí bao nhiêu", "ask_fee", requested=NAME, resumed=True))
    assert not resumed.filled and resumed.requested == NAME


def test_summary_asks_consent_and_masks_the_phone(db_url):
    svc = service(db_url)
    state = {**empty(), PROCEDURE: "ket_hon", DAY: "2026-12-03", TIME: "09:00", NAME: "Nguyễn Văn An",
             PHONE: "0912345678"}
    (msg,) = dlg.ask(svc, state, CONFIRM)
    assert "Số điện thoại chỉ dùng để xã liên hệ về lịch hẹn này" in msg.text
    assert "0912345678" not in msg.text and "09:00–10:00" in msg.text
    st = dlg.step(svc, state, Turn("/affirm", "affirm", requested=CONFIRM))
    assert st.slots == {CONFIRM: "yes"} and st.requested is None
    # Changing the time at the summary asks for confirmation again.
    st = dlg.step(svc, {**state, CONFIRM: None}, Turn("đổi sang 14h", "inform", requested=CONFIRM))
    assert st.slots[TIME] == "14:00" and st.requested == CONFIRM


def test_submit_books_and_a_lost_race_asks_again(db_url):
    svc = service(db_url, capacity_per_slot=1)
    state = {**empty(), PROCEDURE: "khai_sinh", DAY: "2026-12-03", TIME: "09:00", NAME: "Nguyễn Văn An",
             PHONE: "0912345678", CONFIRM: "yes"}
    ok = dlg.submit(svc, state, "web:a", ["Tờ khai"])
    assert "Mã lịch hẹn" in ok.messages[0].text and "• Tờ khai" in ok.messages[0].text and not ok.ask_again
    assert all(v is None for v in ok.slots.values())
    lost = dlg.submit(svc, state, "web:b", [])
    assert lost.ask_again and lost.slots[TIME] is None and "vừa có người đặt hết chỗ" in lost.messages[0].text


def test_check_cancel_and_reschedule_outside_the_form(db_url):
    svc = service(db_url)
    b = svc.book("web:z", "khai_sinh", FRI, 9 * 60, "Người Z", "0912345678")
    (listing,) = dlg.list_bookings(svc, "web:z", "lịch hẹn của tôi", {})
    assert b.code in listing.text and any("reschedule" in x.payload for x in listing.buttons)
    (ask,) = dlg.cancel(svc, "web:z", "hủy lịch hẹn", {})                   # typed: asks to confirm
    assert svc.list_for("web:z") and b.code in ask.buttons[0].payload
    slots, msgs = dlg.start_reschedule(svc, "web:z", "đổi lịch", {})
    assert slots[dlg.REF] == b.code and slots[PROCEDURE] == "khai_sinh" and dlg.next_slot(slots) == DAY
    (done,) = dlg.cancel(svc, "web:z", "/cancel_appointment", {"booking_code": b.code})
    assert "Đã hủy" in done.text and svc.list_for("web:z") == []
