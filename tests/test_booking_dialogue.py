"""The booking form's checks against the calendar (hotich.booking.form) and what the resident reads
(hotich.booking.dialogue): questions, summary, submission, check / cancel / reschedule."""
from __future__ import annotations

from datetime import date

from hotich.booking import dialogue as dlg
from hotich.booking import form
from hotich.booking.form import CONFIRM, DAY, NAME, PERIOD, PHONE, PROCEDURE, TIME
from tests.booking_helpers import service

FRI = date(2026, 12, 4)


def empty(**slots):
    return {**{s: None for s in form.ALL_SLOTS}, **slots}


def test_a_period_then_the_day_shows_only_that_period(db_url):
    svc = service(db_url)
    state = empty(**{PROCEDURE: "ket_hon"})
    state.update(form.check_time(svc, "morning", state).slots)
    state.update(form.check_day(svc, "2026-12-04", state).slots)
    assert (state[DAY], state[TIME], state[PERIOD]) == ("2026-12-04", None, "morning")
    (ask,) = dlg.ask(svc, state, TIME)
    assert ask.buttons and all('"booking_time":"0' in b.payload or '"10:' in b.payload or '"11:' in b.payload
                               for b in ask.buttons)
    assert "60 phút" in ask.text


def test_an_hour_said_before_the_day_is_used_once_the_day_is_known(db_url):
    svc = service(db_url)
    state = empty(**{PROCEDURE: "khai_sinh"})
    state.update(form.check_time(svc, "09:00", state).slots)
    assert state[TIME] is None and state[PERIOD] == "09:00"
    state.update(form.check_day(svc, "2026-12-03", state).slots)
    assert (state[DAY], state[TIME]) == ("2026-12-03", "09:00")


def test_a_closed_day_is_refused_with_a_reason(db_url):
    svc = service(db_url)
    checked = form.check_day(svc, "2026-12-06", empty(**{PROCEDURE: "khai_sinh"}))
    assert checked.slots[DAY] is None and "Chủ nhật" in checked.messages[0].text


def test_a_taken_time_is_refused(db_url):
    svc = service(db_url, capacity_per_slot=1)
    svc.book("web:other", "khai_sinh", FRI, 9 * 60, "Người Khác", "0912345678")
    checked = form.check_time(svc, "09:00", empty(**{PROCEDURE: "khai_sinh", DAY: FRI.isoformat()}))
    assert checked.slots[TIME] is None and "kín chỗ" in checked.messages[0].text


def test_a_longer_procedure_drops_a_time_it_does_not_fit(db_url):
    svc = service(db_url)
    state = empty(**{PROCEDURE: "khai_sinh", DAY: FRI.isoformat(), TIME: "10:30"})
    assert form.check_procedure(svc, "ket_hon", state).slots == {PROCEDURE: "ket_hon", TIME: None}
    unknown = form.check_procedure(svc, "sổ đỏ", state)
    assert unknown.slots == {PROCEDURE: None} and "thủ tục nào" in unknown.messages[0].text


def test_the_cap_is_told_when_the_form_starts(db_url):
    svc = service(db_url, max_future_bookings_per_resident=1)
    assert form.cap_reached(svc, "web:cap") is None
    b = svc.book("web:cap", "khai_sinh", FRI, 9 * 60, "Người Cap", "0912345678")
    told = form.cap_reached(svc, "web:cap")
    assert "tối đa 1 lịch hẹn" in told.text and b.code in told.text
    assert any("reschedule_appointment" in x.payload and b.code in x.payload for x in told.buttons)


def test_summary_asks_consent_and_masks_the_phone(db_url):
    svc = service(db_url)
    state = empty(**{PROCEDURE: "ket_hon", DAY: "2026-12-03", TIME: "09:00", NAME: "Nguyễn Văn An",
                     PHONE: "0912345678"})
    (msg,) = dlg.ask(svc, state, CONFIRM)
    assert "Số điện thoại chỉ dùng để xã liên hệ về lịch hẹn này" in msg.text
    assert "0912345678" not in msg.text and "09:00–10:00" in msg.text and msg.text.startswith("Anh/chị")


def test_submit_books_and_a_lost_race_asks_again(db_url):
    svc = service(db_url, capacity_per_slot=1)
    state = empty(**{PROCEDURE: "khai_sinh", DAY: "2026-12-03", TIME: "09:00", NAME: "Nguyễn Văn An",
                     PHONE: "0912345678", CONFIRM: form.YES})
    ok = dlg.submit(svc, state, "web:a", ["Tờ khai"])
    assert "Mã lịch hẹn" in ok.messages[0].text and "• Tờ khai" in ok.messages[0].text and not ok.ask_again
    assert all(v is None for v in ok.slots.values())
    lost = dlg.submit(svc, state, "web:b", [])
    assert lost.ask_again and lost.slots[TIME] is None and "vừa có người đặt hết chỗ" in lost.messages[0].text


def test_the_cap_is_still_enforced_at_submit(db_url):
    svc = service(db_url, max_future_bookings_per_resident=1)
    state = empty(**{PROCEDURE: "khai_sinh", DAY: "2026-12-03", TIME: "09:00", NAME: "Nguyễn Văn An",
                     PHONE: "0912345678", CONFIRM: form.YES})
    svc.book("web:race", "khai_sinh", FRI, 9 * 60, "Nguyễn Văn An", "0912345678")   # from another chat meanwhile
    refused = dlg.submit(svc, state, "web:race", [])
    assert "tối đa 1 lịch hẹn" in refused.messages[0].text and len(svc.list_for("web:race")) == 1


def test_a_form_ended_by_the_cap_books_nothing_and_says_nothing_more(db_url):
    svc = service(db_url)
    ended = dlg.submit(svc, empty(), "web:c", [])
    assert ended.messages == [] and svc.list_for("web:c") == []


def test_check_cancel_and_reschedule_outside_the_form(db_url):
    svc = service(db_url)
    b = svc.book("web:z", "khai_sinh", FRI, 9 * 60, "Người Z", "0912345678")
    (listing,) = dlg.list_bookings(svc, "web:z", "lịch hẹn của tôi", {})
    assert b.code in listing.text and any("reschedule" in x.payload for x in listing.buttons)
    (ask,) = dlg.cancel(svc, "web:z", "hủy lịch hẹn", {})                   # typed: asks to confirm
    assert svc.list_for("web:z") and b.code in ask.buttons[0].payload
    slots, msgs = dlg.start_reschedule(svc, "web:z", "đổi lịch", {})
    assert slots[form.REF] == b.code and slots[PROCEDURE] == "khai_sinh"
    (done,) = dlg.cancel(svc, "web:z", "/cancel_appointment", {"booking_code": b.code})
    assert "Đã hủy" in done.text and svc.list_for("web:z") == []
