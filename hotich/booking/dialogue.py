"""What residents read while booking: the form's questions, the summary, the submission, and
checking / cancelling / rescheduling outside the form. The form itself is Rasa's `booking_form`
(slots in hotich.booking.form); `actions/booking.py` only converts tracker ↔ these types.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload
from hotich.booking import calendar as cal
from hotich.booking.codes import find_code, normalize_code
from hotich.booking.dates import AFTERNOON, MORNING, day_label
from hotich.booking.form import (ALL_SLOTS, CONFIRM, DAY, NAME, PERIOD, PHONE, PROCEDURE, REF, TIME, YES,
                                 too_many)
from hotich.booking.phone import mask_phone
from hotich.booking.replies import day_button, manage_buttons, problem_text, procedure_name, slot_list, time_button
from hotich.booking.service import (BookingNotFound, BookingService, BookingView, NotBookable, SlotFull,
                                    TooManyBookings)
from hotich.procedures import PROCEDURES

log = logging.getLogger(__name__)

PROCEDURE_NOTES = {"ket_hon": "Hai bên nam, nữ cùng có mặt khi đăng ký kết hôn."}
CONSENT_TEXT = ("Số điện thoại chỉ dùng để xã liên hệ về lịch hẹn này và được xóa sau buổi hẹn "
                "(hoặc ngay khi anh/chị hủy lịch).")


# ---------------------------------------------------------------------------- questions

def ask(svc: BookingService, state: dict[str, Any], slot: str) -> list[ReplyMessage]:
    proc = state.get(PROCEDURE)
    if slot == PROCEDURE:
        return [ReplyMessage("Anh/chị muốn đặt lịch hẹn cho thủ tục nào ạ?",
                             [ReplyButton(p.name, intent_payload("inform", procedure=p.code)) for p in PROCEDURES])]
    if slot == DAY:
        days = svc.free_days(proc, limit=6)
        if not days:
            return [ReplyMessage(f"Rất tiếc, {svc.profile.booking.horizon_days} ngày tới đã kín lịch "
                                 f"{procedure_name(proc).lower()}. Anh/chị vui lòng gọi xã: {svc.profile.phone}.")]
        intro = (f"Anh/chị muốn đến vào ngày nào? Các ngày còn chỗ cho thủ tục {procedure_name(proc).lower()}:"
                 if not state.get(REF) else f"Anh/chị muốn đổi lịch {state[REF]} sang ngày nào?")
        return [ReplyMessage(intro + "\n(Anh/chị cũng có thể gõ: \"mai\", \"thứ 2 tuần sau\", \"15/12\"…)",
                             [day_button(d, free) for d, free in days])]
    if slot == TIME:
        d = date.fromisoformat(state[DAY])
        slots = svc.free_slots(proc, d)
        period = state.get(PERIOD)
        chosen = [s for s in slots if period == MORNING and s.start < 720 or period == AFTERNOON and s.start >= 720]
        note = ""
        if period in (MORNING, AFTERNOON) and not chosen and slots:
            note = f"Buổi {'sáng' if period == MORNING else 'chiều'} {day_label(d)} đã kín. "
        shown = chosen or slots
        if not shown:
            return [ReplyMessage(f"{day_label(d)} đã kín lịch, anh/chị chọn ngày khác nhé.")]
        length = cal.procedure_minutes(svc.profile, proc)
        return [ReplyMessage(f"{note}Anh/chị chọn giờ đến ngày {day_label(d)} (mỗi lượt {length} phút):",
                             [time_button(s) for s in shown])]
    if slot == NAME:
        return [ReplyMessage("Anh/chị cho em xin họ và tên người đến làm thủ tục ạ.")]
    if slot == PHONE:
        return [ReplyMessage("Anh/chị cho em xin số điện thoại di động để xã liên hệ khi cần (ví dụ 0912 345 678) ạ.")]
    if slot == CONFIRM:
        return [summary(svc, state)]
    return []


def summary(svc: BookingService, state: dict[str, Any]) -> ReplyMessage:
    d = date.fromisoformat(state[DAY])
    start = cal.parse_hhmm(state[TIME]) or 0
    end = start + cal.procedure_minutes(svc.profile, state.get(PROCEDURE))
    when = f"{cal.hhmm(start)}–{cal.hhmm(end)}, {day_label(d, with_year=True)}"
    if state.get(REF):
        text = (f"Đổi lịch hẹn {state[REF]} ({procedure_name(state.get(PROCEDURE))}) sang:\n🕘 {when}\n"
                "Anh/chị xác nhận đổi lịch nhé?")
        return ReplyMessage(text, [ReplyButton("✅ Xác nhận", "/affirm"), ReplyButton("❌ Thôi", "/deny")])
    lines = ["Anh/chị kiểm tra lại giúp em:",
             f"📋 Thủ tục: {procedure_name(state.get(PROCEDURE))}",
             f"🕘 Thời gian: {when}",
             f"📍 Địa điểm: {svc.profile.address}",
             f"👤 Người đến: {state.get(NAME)}",
             f"📞 Điện thoại: {mask_phone(state.get(PHONE) or '')}",
             CONSENT_TEXT,
             "Anh/chị đồng ý và xác nhận đặt lịch chứ ạ?"]
    return ReplyMessage("\n".join(lines), [ReplyButton("✅ Xác nhận", "/affirm"), ReplyButton("❌ Hủy", "/deny")])


# ---------------------------------------------------------------------------- submission

@dataclass
class Submit:
    messages: list[ReplyMessage]
    slots: dict[str, Any]                      # slot updates (reset, or what to ask again)
    ask_again: bool = False                    # re-open the form (the slot was just taken)


def reset_slots() -> dict[str, Any]:
    return {s: None for s in ALL_SLOTS}


def confirmation(svc: BookingService, view: BookingView, checklist: list[str], rescheduled: bool) -> ReplyMessage:
    end = view.start + view.minutes
    head = "✅ Đã đổi lịch hẹn!" if rescheduled else "✅ Đã đặt lịch hẹn!"
    lines = [head, f"Mã lịch hẹn: {view.code}",
             f"📋 Thủ tục: {procedure_name(view.procedure)}",
             f"🕘 Thời gian: {view.hhmm}–{cal.hhmm(end)}, {day_label(view.day, with_year=True)}",
             f"📍 Địa điểm: {svc.profile.address}"]
    if PROCEDURE_NOTES.get(view.procedure):
        lines.append("👥 " + PROCEDURE_NOTES[view.procedure])
    if checklist:
        lines.append("Giấy tờ cần mang:\n" + "\n".join(f"• {c}" for c in checklist))
    lines.append(f"Xã sẽ nhắn nhắc anh/chị lúc {svc.profile.booking.reminder_time:%H:%M} hôm trước. "
                 "Muốn xem, đổi hoặc hủy, anh/chị nhắn \"lịch hẹn của tôi\".")
    return ReplyMessage("\n".join(lines), manage_buttons(view.code))


def submit(svc: BookingService, state: dict[str, Any], sender_id: str, checklist: list[str],
           case: str | None = None) -> Submit:
    if state.get(CONFIRM) != YES or not state.get(DAY) or not state.get(TIME):
        # The form ended before the summary was confirmed (the cap, said when it started).
        return Submit([], reset_slots())
    d = date.fromisoformat(state[DAY])
    start = cal.parse_hhmm(state[TIME]) or 0
    try:
        if state.get(REF):
            view = svc.reschedule(sender_id, state[REF], d, start)
        else:
            view = svc.book(sender_id, state[PROCEDURE], d, start, state[NAME], state[PHONE], case=case)
    except SlotFull as full:
        text = f"Rất tiếc, giờ {state[TIME]} {day_label(d)} vừa có người đặt hết chỗ."
        if full.suggestions:
            text += f" Các giờ còn trống gần nhất: {slot_list(full.suggestions)}."
        still_free_that_day = bool(svc.free_slots(state.get(PROCEDURE), d))
        return Submit([ReplyMessage(text)],
                      {TIME: None, CONFIRM: None, PERIOD: None, **({} if still_free_that_day else {DAY: None})},
                      ask_again=True)
    except NotBookable as nb:
        return Submit([ReplyMessage(problem_text(svc.profile, nb.reason, d, start))],
                      {TIME: None, CONFIRM: None, DAY: None}, ask_again=True)
    except TooManyBookings as tm:       # another booking made meanwhile (another chat, a race)
        return Submit([too_many(tm.limit, tm.bookings)], reset_slots())
    except BookingNotFound:
        return Submit([ReplyMessage("Em không tìm thấy lịch hẹn này nữa (có thể đã hủy).")], reset_slots())
    return Submit([confirmation(svc, view, checklist, bool(state.get(REF)))], reset_slots())


# ---------------------------------------------------------------------------- outside the form

def _code_from(turn_text: str, entities: dict[str, str]) -> str | None:
    typed = "" if (turn_text or "").startswith("/") else turn_text
    return normalize_code(entities.get("booking_code") or "") or find_code(typed)


def list_bookings(svc: BookingService, sender_id: str, text: str, entities: dict[str, str]) -> list[ReplyMessage]:
    """'lịch hẹn của tôi'; with a code (reminder's "vẫn đến") it records that the resident comes."""
    code = _code_from(text, entities)
    if code:
        try:
            b = svc.confirm_attendance(sender_id, code)
            return [ReplyMessage(f"Cảm ơn anh/chị! Xã đã ghi nhận anh/chị sẽ đến lúc {b.when_text} "
                                 f"(mã {b.code}). Hẹn gặp anh/chị tại {svc.profile.address}.")]
        except BookingNotFound:
            pass
    rows = svc.list_for(sender_id)
    if not rows:
        return [ReplyMessage("Anh/chị chưa có lịch hẹn nào sắp tới.",
                             [ReplyButton("🗓 Đặt lịch hẹn", "/book_appointment")])]
    lines = [f"Anh/chị có {len(rows)} lịch hẹn sắp tới:"]
    for b in rows:
        status = " — ⚠️ cần chọn giờ mới (xã tạm ngưng tiếp nhận giờ này)" if b.status == "displaced" else ""
        lines.append(f"• {b.code} — {procedure_name(b.procedure)} — {b.when_text}{status}")
    buttons = [btn for b in rows for btn in manage_buttons(b.code)]
    return [ReplyMessage("\n".join(lines), buttons)]


def pick_booking(svc: BookingService, sender_id: str, text: str, entities: dict[str, str],
                 action_intent: str) -> tuple[BookingView | None, list[ReplyMessage]]:
    """The booking a cancel/reschedule request is about: by code, or the only one; else ask."""
    code = _code_from(text, entities)
    rows = svc.list_for(sender_id)
    if code:
        match = [b for b in rows if b.code == code]
        if match:
            return match[0], []
        return None, [ReplyMessage(f"Em không tìm thấy lịch hẹn {code} sắp tới của anh/chị.")]
    if not rows:
        return None, [ReplyMessage("Anh/chị chưa có lịch hẹn nào sắp tới.",
                                   [ReplyButton("🗓 Đặt lịch hẹn", "/book_appointment")])]
    if len(rows) == 1:
        return rows[0], []
    verb = "hủy" if action_intent == "cancel_appointment" else "đổi"
    lines = [f"Anh/chị muốn {verb} lịch hẹn nào?"] + [f"• {b.code} — {procedure_name(b.procedure)} — {b.when_text}"
                                                 for b in rows]
    buttons = [ReplyButton(f"{b.code} · {b.hhmm} {b.day:%d/%m}", intent_payload(action_intent, booking_code=b.code))
               for b in rows]
    return None, [ReplyMessage("\n".join(lines), buttons)]


def cancel(svc: BookingService, sender_id: str, text: str, entities: dict[str, str]) -> list[ReplyMessage]:
    explicit = bool(_code_from(text, entities))
    target, msgs = pick_booking(svc, sender_id, text, entities, "cancel_appointment")
    if target is None:
        return msgs
    if not explicit:
        # Typed "hủy lịch" with one booking: show it and let the resident press to confirm.
        return [ReplyMessage(f"Anh/chị muốn hủy lịch hẹn {target.code} — {procedure_name(target.procedure)} — "
                             f"{target.when_text}?",
                             [ReplyButton(f"❌ Hủy lịch {target.code}",
                                          intent_payload("cancel_appointment", booking_code=target.code)),
                              ReplyButton("Giữ lịch", "/check_appointment")])]
    try:
        b = svc.cancel(sender_id, target.code)
    except BookingNotFound:
        return [ReplyMessage("Lịch hẹn này đã được hủy trước đó.")]
    return [ReplyMessage(f"Đã hủy lịch hẹn {b.code} ({procedure_name(b.procedure)}, {b.when_text}). "
                         "Số điện thoại và họ tên anh/chị để lại cho lịch này đã được xóa.",
                         [ReplyButton("🗓 Đặt lịch mới", intent_payload("book_appointment", procedure=b.procedure))])]


def start_reschedule(svc: BookingService, sender_id: str, text: str,
                     entities: dict[str, str]) -> tuple[dict[str, Any] | None, list[ReplyMessage]]:
    """Slots that open the form in reschedule mode, or None with the messages to send instead."""
    target, msgs = pick_booking(svc, sender_id, text, entities, "reschedule_appointment")
    if target is None:
        return None, msgs
    slots = reset_slots()
    slots.update({REF: target.code, PROCEDURE: target.procedure})
    note = (f"Lịch hẹn {target.code} hiện là {target.when_text}." if target.status == "booked"
            else f"Lịch hẹn {target.code} cần chọn giờ mới.")
    return slots, [ReplyMessage(note + " Mã lịch hẹn sẽ giữ nguyên.")]


def continue_message() -> ReplyMessage:
    return ReplyMessage("Dạ, anh/chị đang đặt lịch hẹn rồi ạ, em hỏi tiếp nhé. "
                        "Muốn dừng thì anh/chị nhắn \"không\".")


def stop_message() -> ReplyMessage:
    return ReplyMessage("Em đã dừng việc đặt lịch, chưa có lịch hẹn nào được tạo hay thay đổi. "
                        "Khi cần, anh/chị cứ nhắn \"đặt lịch\" nhé.")
