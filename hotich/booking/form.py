"""The booking form's slots: what a resident's message gives each slot, and whether it can be booked.

Rasa runs the form `booking_form` (domain.yml): it asks, and `actions/booking.py` extracts and
validates each slot with these functions. Extraction is pure (text, intent, entities, the slot
the bot asked for, "now"); validation asks the BookingService whether the day or time is free.

Slots: booking_procedure → booking_day → booking_time → booking_name → booking_phone →
booking_confirm. `booking_ref` holds the code being rescheduled (then name and phone are not
asked); `booking_period` keeps "morning"/"afternoon", or a "HH:MM" said before the day was known.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hotich.assistant.replies import ReplyMessage
from hotich.booking import calendar as cal
from hotich.booking.dates import AFTERNOON, MORNING, day_label, parse_when
from hotich.booking.names import parse_name
from hotich.booking.phone import find_phone, has_digits, normalize_phone
from hotich.booking.replies import manage_buttons, problem_text, procedure_name
from hotich.booking.service import BookingService
from hotich.procedures import CODES, canonical_procedure

PROCEDURE, DAY, TIME, NAME, PHONE, CONFIRM = ("booking_procedure", "booking_day", "booking_time",
                                              "booking_name", "booking_phone", "booking_confirm")
REF, PERIOD = "booking_ref", "booking_period"
FORM_SLOTS = (PROCEDURE, DAY, TIME, NAME, PHONE, CONFIRM)
ALL_SLOTS = FORM_SLOTS + (REF, PERIOD)
YES = "yes"

# A message is for the form when NLU read it as an answer, or when it is the booking request
# itself ("đặt lịch kết hôn sáng thứ 6"). Anything else (a question, "không") makes the form
# fill nothing, so Rasa's rules answer it and the form asks again.
ANSWER_INTENTS = frozenset({"inform", "nlu_fallback"})
REQUEST_INTENTS = frozenset({"book_appointment", "reschedule_appointment"})

HINTS = {
    PROCEDURE: "Em chưa rõ anh/chị muốn làm thủ tục nào. Anh/chị chọn giúp em ở dưới nhé.",
    DAY: "Em chưa hiểu ngày anh/chị chọn. Anh/chị bấm một ngày bên dưới hoặc gõ kiểu \"mai\", "
         "\"thứ 2 tuần sau\", \"15/12\" nhé.",
    TIME: "Em chưa hiểu giờ anh/chị chọn. Anh/chị bấm một giờ bên dưới hoặc gõ kiểu \"9h\", \"14h30\" nhé.",
    NAME: "Anh/chị cho em xin họ và tên đầy đủ (ví dụ: Nguyễn Văn An) nhé.",
    PHONE: "Số điện thoại chưa đúng. Anh/chị nhập số di động 10 chữ số, bắt đầu bằng 03, 05, 07, 08 "
           "hoặc 09 (ví dụ 0912 345 678) nhé.",
}


def required_slots(rescheduling: bool) -> list[str]:
    """What the form asks, in order; a reschedule keeps the booking's name and phone."""
    return [PROCEDURE, DAY, TIME, CONFIRM] if rescheduling else list(FORM_SLOTS)


@dataclass(frozen=True)
class Message:
    """One resident message as the form sees it."""
    text: str                                  # as typed; "" for a button payload
    intent: str | None = None
    entities: dict[str, str] = field(default_factory=dict)
    requested: str | None = None               # the slot the bot asked for; None when the form starts

    @staticmethod
    def of(text: str | None, intent: str | None, entities: dict[str, str], requested: str | None) -> "Message":
        text = text or ""
        return Message("" if text.startswith("/") else text, intent, entities, requested)

    @property
    def answer(self) -> bool:
        return self.intent in ANSWER_INTENTS

    @property
    def for_form(self) -> bool:
        return self.answer or self.intent in REQUEST_INTENTS

    def asked(self, *slots: str | None) -> bool:
        return self.requested in slots


# ---------------------------------------------------------------------------- extraction (pure)

def extract_procedure(msg: Message, context_procedure: str | None = None) -> str | None:
    """A procedure code from a button or the text; at the start, the procedure just talked about."""
    # Asked for the procedure, a typed "khai sinh" may read as choosing it: it answers the question.
    if msg.entities.get("procedure") and (msg.for_form or msg.asked(PROCEDURE) and msg.intent == "choose_procedure"):
        return canonical_procedure(msg.entities["procedure"]) or msg.entities["procedure"]
    if not msg.asked(None, PROCEDURE):
        return None
    if msg.text and msg.for_form:
        found = canonical_procedure(msg.text)
        if found or msg.asked(PROCEDURE) and msg.answer:
            return found or msg.text                  # unreadable text: validation says so
    if msg.requested is None and context_procedure in CODES:
        return context_procedure
    return None


def extract_day(msg: Message, now) -> str | None:
    """A day as YYYY-MM-DD (button or text), or the unreadable answer to "which day?"."""
    if msg.entities.get("booking_day") and msg.for_form:
        return msg.entities["booking_day"]
    if not (msg.text and msg.for_form and msg.asked(None, PROCEDURE, DAY, TIME, CONFIRM)):
        return None
    when = parse_when(msg.text, now, bare_hour=msg.asked(TIME))
    if when.day is not None:
        return when.day.isoformat()
    return msg.text if msg.asked(DAY) and msg.answer and when.empty else None


def extract_time(msg: Message, now) -> str | None:
    """"HH:MM", a period ("morning"/"afternoon"), or the unreadable answer to "what time?"."""
    if msg.entities.get("booking_time") and msg.for_form:
        return msg.entities["booking_time"]
    if not (msg.text and msg.for_form and msg.asked(None, PROCEDURE, DAY, TIME, CONFIRM)):
        return None
    when = parse_when(msg.text, now, bare_hour=msg.asked(TIME))
    if when.time is not None:
        return f"{when.time:%H:%M}"
    if when.period:
        return when.period
    return msg.text if msg.asked(TIME) and msg.answer and when.day is None else None


def extract_name_and_phone(msg: Message) -> dict[str, str]:
    """Asked for the name: the name, and the phone when both came in one message."""
    if not (msg.asked(NAME) and msg.text):
        return {}
    phone, rest = find_phone(msg.text)
    if not (msg.answer or phone):
        return {}
    return {NAME: rest, **({PHONE: phone} if phone else {})}


def extract_phone(msg: Message) -> str | None:
    if msg.asked(PHONE) and msg.text and (msg.answer or has_digits(msg.text)):
        return msg.text
    return None


# ---------------------------------------------------------------------------- validation

@dataclass
class Checked:
    slots: dict[str, Any]                      # slot values to set (None: ask again)
    messages: list[ReplyMessage] = field(default_factory=list)


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _time_problem(svc: BookingService, procedure: str | None, day: date, minutes: int) -> str | None:
    """None when `minutes` on `day` can be booked; otherwise the reason."""
    if minutes not in cal.candidate_starts(svc.profile, day, procedure):
        return "not_a_slot"
    if not cal.start_in_time(svc.profile, day, minutes, svc.now()):
        return "lead_time"
    if minutes not in {s.start for s in svc.free_slots(procedure, day)}:
        return "slot_full"
    return None


def _bookable_day(svc: BookingService, state: dict[str, Any]) -> date | None:
    d = _iso(state.get(DAY))
    return d if d is not None and svc.day_problem(state.get(PROCEDURE), d) is None else None


def _time_still_fits(svc: BookingService, state: dict[str, Any], d: date) -> dict[str, Any]:
    """After the day or procedure changed: keep the chosen time if it still fits, use a "HH:MM"
    said earlier if it fits now."""
    chosen = cal.parse_hhmm(state.get(TIME) or "")
    if chosen is not None:
        return {} if _time_problem(svc, state.get(PROCEDURE), d, chosen) is None else {TIME: None}
    hinted = cal.parse_hhmm(state.get(PERIOD) or "")
    if hinted is not None and _time_problem(svc, state.get(PROCEDURE), d, hinted) is None:
        return {TIME: cal.hhmm(hinted)}
    return {}


def check_procedure(svc: BookingService, value: str | None, state: dict[str, Any]) -> Checked:
    if value not in CODES:
        return Checked({PROCEDURE: None}, [ReplyMessage(HINTS[PROCEDURE])] if value else [])
    d = _bookable_day(svc, {**state, PROCEDURE: value})
    return Checked({PROCEDURE: value, **(_time_still_fits(svc, {**state, PROCEDURE: value}, d) if d else {})})


def check_day(svc: BookingService, value: str | None, state: dict[str, Any]) -> Checked:
    if value is None:
        return Checked({DAY: None})
    d = _iso(value)
    if d is None:
        return Checked({DAY: None}, [ReplyMessage(HINTS[DAY])])
    problem = svc.day_problem(state.get(PROCEDURE), d)
    if problem:
        return Checked({DAY: None, TIME: None}, [ReplyMessage(problem_text(svc.profile, problem, d))])
    return Checked({DAY: d.isoformat(), CONFIRM: None, **_time_still_fits(svc, {**state, DAY: d.isoformat()}, d)})


def check_time(svc: BookingService, value: str | None, state: dict[str, Any]) -> Checked:
    if value is None:
        return Checked({TIME: None})
    if value in (MORNING, AFTERNOON):
        return Checked({TIME: None, PERIOD: value})
    minutes = cal.parse_hhmm(value)
    if minutes is None:
        return Checked({TIME: None}, [ReplyMessage(HINTS[TIME])])
    d = _bookable_day(svc, state)
    if d is None:                              # remembered until a bookable day is known
        return Checked({TIME: None, PERIOD: cal.hhmm(minutes)})
    reason = _time_problem(svc, state.get(PROCEDURE), d, minutes)
    if reason:
        text = (f"Giờ {cal.hhmm(minutes)} ngày {day_label(d)} đã kín chỗ." if reason == "slot_full"
                else problem_text(svc.profile, reason, d, minutes))
        return Checked({TIME: None}, [ReplyMessage(text)])
    return Checked({TIME: cal.hhmm(minutes), PERIOD: MORNING if minutes < 12 * 60 else AFTERNOON, CONFIRM: None})


def check_name(value: str | None) -> Checked:
    name = parse_name(value or "")
    return Checked({NAME: name}, [] if name else [ReplyMessage(HINTS[NAME])])


def check_phone(value: str | None) -> Checked:
    phone = normalize_phone(value or "") or find_phone(value or "")[0]
    return Checked({PHONE: phone}, [] if phone else [ReplyMessage(HINTS[PHONE])])


# ---------------------------------------------------------------------------- at the start

def cap_reached(svc: BookingService, sender_id: str) -> ReplyMessage | None:
    """The resident already holds the most future bookings allowed: say so before asking anything,
    with their bookings and the buttons to reschedule or cancel one."""
    rows = svc.list_for(sender_id)
    limit = svc.profile.booking.max_future_bookings_per_resident
    if len(rows) < limit:
        return None
    return too_many(limit, rows)


def too_many(limit: int, rows) -> ReplyMessage:
    lines = [f"Mỗi người chỉ giữ tối đa {limit} lịch hẹn sắp tới. Anh/chị đang có:"]
    lines += [f"• {b.code} — {procedure_name(b.procedure)} — {b.when_text}" for b in rows]
    lines.append("Anh/chị có thể đổi hoặc hủy một lịch rồi đặt lịch mới.")
    return ReplyMessage("\n".join(lines), [btn for b in rows for btn in manage_buttons(b.code)])
