"""The booking form's decisions, independent of Rasa: what a resident's message fills, what to ask
next, the summary, and the submission. `actions/booking.py` only converts tracker ↔ these types.

Form slots (Rasa slot names): booking_procedure → booking_day → booking_time → booking_name →
booking_phone → booking_confirm. `booking_ref` holds the code being rescheduled (then the name
and phone are not asked again); `booking_period` remembers "sáng"/"chiều" said before a time.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload
from hotich.booking import calendar as cal
from hotich.booking.dates import AFTERNOON, MORNING, day_label, parse_when
from hotich.booking.phone import find_phone, has_digits, mask_phone
from hotich.booking.replies import (day_button, manage_buttons, problem_text, procedure_name, slot_list,
                                    time_button)
from hotich.booking.service import (BookingNotFound, BookingService, BookingView, NotBookable, SlotFull,
                                    TooManyBookings)
from hotich.procedures import CODES, PROCEDURES, canonical_procedure
from hotich.text.normalize import fold

log = logging.getLogger(__name__)

PROCEDURE, DAY, TIME, NAME, PHONE, CONFIRM = ("booking_procedure", "booking_day", "booking_time",
                                              "booking_name", "booking_phone", "booking_confirm")
REF, PERIOD = "booking_ref", "booking_period"
FORM_SLOTS = (PROCEDURE, DAY, TIME, NAME, PHONE, CONFIRM)
ALL_SLOTS = FORM_SLOTS + (REF, PERIOD)

# Intents that, when the message fills nothing, hand the turn to their own rule (question
# answered, then the form asks again; deny/cancel stops the form).
INTERRUPTING = frozenset({
    "ask_documents", "ask_fee", "ask_processing_time", "ask_deadline", "ask_online", "ask_who_comes",
    "ask_office_info", "choose_procedure", "talk_to_officer", "out_of_scope", "deny", "cancel_appointment",
    "check_appointment", "goodbye", "upload_documents", "delete_my_data", "greet", "thank",
})
_QUESTION_WORDS = re.compile(r"\b(bao nhieu|bao lau|the nao|o dau|khong|gi|nao|sao|may|khi nao|duoc)\b|\?")
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[\s'.-]+[^\W\d_]+){1,6}$")
PROCEDURE_NOTES = {"ket_hon": "Hai bên nam, nữ cùng có mặt khi đăng ký kết hôn."}
CONSENT_TEXT = ("Số điện thoại chỉ dùng để xã liên hệ về lịch hẹn này và được xóa sau buổi hẹn "
                "(hoặc ngay khi bạn hủy lịch).")


@dataclass
class Turn:
    text: str                                  # what the resident typed (raw), or a button payload
    intent: str | None = None
    entities: dict[str, str] = field(default_factory=dict)
    requested: str | None = None               # slot the bot asked for (None: the form starts now)
    resumed: bool = False                      # form re-run after another action answered this message


@dataclass
class Step:
    slots: dict[str, Any]                      # slot updates
    messages: list[ReplyMessage]
    requested: str | None                      # next slot to ask (None: form complete)
    filled: bool                               # False: nothing for the form in this message


def required(state: dict[str, Any]) -> list[str]:
    if state.get(REF):
        return [PROCEDURE, DAY, TIME, CONFIRM]
    return list(FORM_SLOTS)


def next_slot(state: dict[str, Any]) -> str | None:
    return next((s for s in required(state) if state.get(s) in (None, "")), None)


def _is_payload(text: str) -> bool:
    return (text or "").startswith("/")


def _detect_procedure(turn: Turn) -> str | None:
    ent = turn.entities.get("procedure")
    if ent in CODES:
        return ent
    if ent:
        return canonical_procedure(ent)
    if _is_payload(turn.text):
        return None
    return canonical_procedure(turn.text)


def clean_name(text: str) -> str | None:
    t = re.sub(r"^\s*(?:tên\s+(?:tôi|em|mình|cháu|con)\s+là|tôi\s+là|em\s+là|mình\s+là|họ\s+tên\s*:?|tên\s*:?)\s*",
               "", text.strip(), flags=re.IGNORECASE).strip(" .,!")
    if not t or len(t) > 80 or not _NAME_RE.match(t):
        return None
    if _QUESTION_WORDS.search(fold(t)) or canonical_procedure(t):
        return None
    return " ".join(w[:1].upper() + w[1:].lower() for w in t.split())


def _check_time(svc: BookingService, procedure: str | None, day: date, minutes: int) -> str | None:
    """None when the slot is free; otherwise the reason."""
    starts = cal.candidate_starts(svc.profile, day, procedure)
    if minutes not in starts:
        return "not_a_slot"
    if not cal.start_in_time(svc.profile, day, minutes, svc.now()):
        return "lead_time"
    if minutes not in {s.start for s in svc.free_slots(procedure, day)}:
        return "slot_full"
    return None


def step(svc: BookingService, state: dict[str, Any], turn: Turn) -> Step:
    """Apply one resident message to the form."""
    state = dict(state)
    updates: dict[str, Any] = {}
    msgs: list[ReplyMessage] = []

    def put(slot: str, value: Any) -> None:
        state[slot] = value
        updates[slot] = value

    if turn.resumed:
        return Step({}, [], next_slot(state), False)

    req = turn.requested
    text = "" if _is_payload(turn.text) else (turn.text or "")
    folded = fold(text)
    intent = turn.intent or ""

    # --- procedure: from a button/entity, or named in the text (at the start or when asked)
    proc = _detect_procedure(turn) if (req in (None, PROCEDURE) or turn.entities.get("procedure")) else None
    if proc and proc != state.get(PROCEDURE) and not state.get(REF):
        put(PROCEDURE, proc)
        if state.get(TIME) and state.get(DAY):     # a longer procedure may not fit the chosen time
            if _check_time(svc, proc, date.fromisoformat(state[DAY]), cal.parse_hhmm(state[TIME]) or -1):
                put(TIME, None)
    if req is None and not state.get(PROCEDURE) and state.get("_context_procedure") in CODES:
        put(PROCEDURE, state["_context_procedure"])      # "đặt lịch" right after asking about a procedure

    # --- day and time: button entities, or free text when asked for them (or at the start / summary)
    day_given: date | None = None
    time_given: int | None = None
    period: str | None = None
    if turn.entities.get("booking_day"):
        try:
            day_given = date.fromisoformat(turn.entities["booking_day"])
        except ValueError:
            day_given = None
    if turn.entities.get("booking_time"):
        time_given = cal.parse_hhmm(turn.entities["booking_time"])
    if text and req in (None, PROCEDURE, DAY, TIME, CONFIRM):
        when = parse_when(text, svc.now(), bare_hour=(req == TIME))
        day_given = day_given or when.day
        if when.time is not None and time_given is None:
            time_given = when.time.hour * 60 + when.time.minute
        period = when.period

    if day_given is not None:
        problem = svc.day_problem(state.get(PROCEDURE), day_given)
        if problem:
            msgs.append(ReplyMessage(problem_text(svc.profile, problem, day_given)))
            if req == DAY:
                put(DAY, None)
            time_given = None                  # a time on an impossible day means nothing
        else:
            if state.get(DAY) != day_given.isoformat():
                put(DAY, day_given.isoformat())
                if state.get(TIME) and time_given is None:
                    put(TIME, None)
                if state.get(CONFIRM):
                    put(CONFIRM, None)
    if period and state.get(PERIOD) != period:
        put(PERIOD, period)
    if time_given is not None:
        if state.get(DAY):
            d = date.fromisoformat(state[DAY])
            reason = _check_time(svc, state.get(PROCEDURE), d, time_given)
            if reason is None:
                put(TIME, cal.hhmm(time_given))
                put(PERIOD, MORNING if time_given < 12 * 60 else AFTERNOON)
                if state.get(CONFIRM):
                    put(CONFIRM, None)
            else:
                msgs.append(ReplyMessage(
                    f"Giờ {cal.hhmm(time_given)} ngày {day_label(d)} đã kín chỗ." if reason == "slot_full"
                    else problem_text(svc.profile, reason, d, time_given)))
                if req == TIME:
                    put(TIME, None)
        else:
            put(PERIOD, cal.hhmm(time_given))          # remembered until the day is known
    elif state.get(DAY) and state.get(PERIOD) and ":" in str(state.get(PERIOD)) and not state.get(TIME):
        hinted = cal.parse_hhmm(state[PERIOD])
        if hinted is not None and _check_time(svc, state.get(PROCEDURE), date.fromisoformat(state[DAY]), hinted) is None:
            put(TIME, state[PERIOD])

    # --- name, phone (a resident may give both in one message)
    if req == NAME and text:
        phone, rest = find_phone(text)
        if phone:
            put(PHONE, phone)
        name = clean_name(rest)
        if name:
            put(NAME, name)
        elif intent not in INTERRUPTING or phone:
            msgs.append(ReplyMessage("Bạn cho mình xin họ và tên đầy đủ (ví dụ: Nguyễn Văn An) nhé."))
            put(NAME, None)
    elif req == PHONE and text:
        phone, _ = find_phone(text)
        if phone:
            put(PHONE, phone)
        elif has_digits(text) or intent not in INTERRUPTING:
            msgs.append(ReplyMessage("Số điện thoại chưa đúng. Bạn nhập số di động 10 chữ số, bắt đầu bằng "
                                     "03, 05, 07, 08 hoặc 09 (ví dụ 0912 345 678) nhé."))
            put(PHONE, None)

    # --- summary answer
    if req == CONFIRM and CONFIRM not in updates and not (updates.keys() & {DAY, TIME, PROCEDURE}):
        if intent == "affirm" or (text and fold(text).strip(" .!") in ("ok", "dong y", "xac nhan", "co", "u", "vang", "dung")):
            put(CONFIRM, "yes")

    # Free text when asked for the procedure/day/time that we could not read: say so, ask again.
    if req in (PROCEDURE, DAY, TIME) and not updates and not msgs and intent not in INTERRUPTING \
            and intent != "affirm" and text:
        hint = {PROCEDURE: "Mình chưa rõ bạn muốn làm thủ tục nào, bạn chọn giúp mình ở dưới nhé.",
                DAY: "Mình chưa hiểu ngày bạn chọn. Bạn bấm một ngày bên dưới hoặc gõ kiểu \"mai\", "
                     "\"thứ 2 tuần sau\", \"15/12\" nhé.",
                TIME: "Mình chưa hiểu giờ bạn chọn. Bạn bấm một giờ bên dưới hoặc gõ kiểu \"9h\", \"14h30\" nhé."}[req]
        msgs.append(ReplyMessage(hint))
        put(req, None)

    filled = bool(updates) or bool(msgs)
    return Step(updates, msgs, next_slot(state), filled)


# ---------------------------------------------------------------------------- questions

def ask(svc: BookingService, state: dict[str, Any], slot: str) -> list[ReplyMessage]:
    proc = state.get(PROCEDURE)
    if slot == PROCEDURE:
        return [ReplyMessage("Bạn muốn đặt lịch hẹn cho thủ tục nào ạ?",
                             [ReplyButton(p.name, intent_payload("inform", procedure=p.code)) for p in PROCEDURES])]
    if slot == DAY:
        days = svc.free_days(proc, limit=6)
        if not days:
            return [ReplyMessage(f"Rất tiếc, {svc.profile.booking.horizon_days} ngày tới đã kín lịch "
                                 f"{procedure_name(proc).lower()}. Bạn vui lòng gọi xã: {svc.profile.phone}.")]
        intro = (f"Bạn muốn đến vào ngày nào? Các ngày còn chỗ cho thủ tục {procedure_name(proc).lower()}:"
                 if not state.get(REF) else f"Bạn muốn đổi lịch {state[REF]} sang ngày nào?")
        return [ReplyMessage(intro + "\n(Bạn cũng có thể gõ: \"mai\", \"thứ 2 tuần sau\", \"15/12\"…)",
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
            return [ReplyMessage(f"{day_label(d)} đã kín lịch, bạn chọn ngày khác nhé.")]
        length = cal.procedure_minutes(svc.profile, proc)
        return [ReplyMessage(f"{note}Bạn chọn giờ đến ngày {day_label(d)} (mỗi lượt {length} phút):",
                             [time_button(s) for s in shown])]
    if slot == NAME:
        return [ReplyMessage("Bạn cho mình xin họ và tên người đến làm thủ tục ạ.")]
    if slot == PHONE:
        return [ReplyMessage("Số điện thoại di động để xã liên hệ khi cần (ví dụ 0912 345 678)?")]
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
                "Bạn xác nhận đổi lịch nhé?")
        return ReplyMessage(text, [ReplyButton("✅ Xác nhận", "/affirm"), ReplyButton("❌ Thôi", "/deny")])
    lines = ["Bạn kiểm tra lại giúp mình:",
             f"📋 Thủ tục: {procedure_name(state.get(PROCEDURE))}",
             f"🕘 Thời gian: {when}",
             f"📍 Địa điểm: {svc.profile.address}",
             f"👤 Người đến: {state.get(NAME)}",
             f"📞 Điện thoại: {mask_phone(state.get(PHONE) or '')}",
             CONSENT_TEXT,
             "Bạn đồng ý và xác nhận đặt lịch chứ?"]
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
    lines.append(f"Xã sẽ nhắn nhắc bạn lúc {svc.profile.booking.reminder_time:%H:%M} hôm trước. "
                 "Muốn xem, đổi hoặc hủy, bạn nhắn \"lịch hẹn của tôi\".")
    return ReplyMessage("\n".join(lines), manage_buttons(view.code))


def submit(svc: BookingService, state: dict[str, Any], sender_id: str, checklist: list[str],
           case: str | None = None) -> Submit:
    if state.get(CONFIRM) != "yes" or not state.get(DAY) or not state.get(TIME):
        return Submit([ReplyMessage("Mình đã dừng việc đặt lịch.")], reset_slots())
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
    except TooManyBookings as tm:
        lines = [f"Mỗi người chỉ giữ tối đa {tm.limit} lịch hẹn sắp tới. Bạn đang có:"]
        lines += [f"• {b.code} — {procedure_name(b.procedure)} — {b.when_text}" for b in tm.bookings]
        lines.append("Bạn có thể đổi hoặc hủy một lịch cũ rồi đặt lại.")
        buttons = [btn for b in tm.bookings for btn in manage_buttons(b.code)]
        return Submit([ReplyMessage("\n".join(lines), buttons)], reset_slots())
    except BookingNotFound:
        return Submit([ReplyMessage("Mình không tìm thấy lịch hẹn này nữa (có thể đã hủy).")], reset_slots())
    return Submit([confirmation(svc, view, checklist, bool(state.get(REF)))], reset_slots())


# ---------------------------------------------------------------------------- outside the form

def _code_from(turn_text: str, entities: dict[str, str]) -> str | None:
    from hotich.booking.codes import find_code, normalize_code
    return normalize_code(entities.get("booking_code") or "") or find_code("" if _is_payload(turn_text) else turn_text)


def list_bookings(svc: BookingService, sender_id: str, text: str, entities: dict[str, str]) -> list[ReplyMessage]:
    """'lịch hẹn của tôi'; with a code (reminder's "vẫn đến") it records that the resident comes."""
    code = _code_from(text, entities)
    if code:
        try:
            b = svc.confirm_attendance(sender_id, code)
            return [ReplyMessage(f"Cảm ơn bạn! Xã đã ghi nhận bạn sẽ đến lúc {b.when_text} "
                                 f"(mã {b.code}). Hẹn gặp bạn tại {svc.profile.address}.")]
        except BookingNotFound:
            pass
    rows = svc.list_for(sender_id)
    if not rows:
        return [ReplyMessage("Bạn chưa có lịch hẹn nào sắp tới.",
                             [ReplyButton("🗓 Đặt lịch hẹn", "/book_appointment")])]
    lines = [f"Bạn có {len(rows)} lịch hẹn sắp tới:"]
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
        return None, [ReplyMessage(f"Mình không tìm thấy lịch hẹn {code} sắp tới của bạn.")]
    if not rows:
        return None, [ReplyMessage("Bạn chưa có lịch hẹn nào sắp tới.",
                                   [ReplyButton("🗓 Đặt lịch hẹn", "/book_appointment")])]
    if len(rows) == 1:
        return rows[0], []
    verb = "hủy" if action_intent == "cancel_appointment" else "đổi"
    lines = [f"Bạn muốn {verb} lịch hẹn nào?"] + [f"• {b.code} — {procedure_name(b.procedure)} — {b.when_text}"
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
        return [ReplyMessage(f"Bạn muốn hủy lịch hẹn {target.code} — {procedure_name(target.procedure)} — "
                             f"{target.when_text}?",
                             [ReplyButton(f"❌ Hủy lịch {target.code}",
                                          intent_payload("cancel_appointment", booking_code=target.code)),
                              ReplyButton("Giữ lịch", "/check_appointment")])]
    try:
        b = svc.cancel(sender_id, target.code)
    except BookingNotFound:
        return [ReplyMessage("Lịch hẹn này đã được hủy trước đó.")]
    return [ReplyMessage(f"Đã hủy lịch hẹn {b.code} ({procedure_name(b.procedure)}, {b.when_text}). "
                         "Số điện thoại và họ tên bạn để lại cho lịch này đã được xóa.",
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


def stop_message() -> ReplyMessage:
    return ReplyMessage("Mình đã dừng việc đặt lịch, chưa có lịch hẹn nào được tạo hay thay đổi. "
                        "Khi cần, bạn cứ nhắn \"đặt lịch\" nhé.")
