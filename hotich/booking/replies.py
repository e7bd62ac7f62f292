"""What residents and officers read about appointments (Vietnamese), as channel-neutral replies."""
from __future__ import annotations

from datetime import date

from hotich.assistant.replies import ReplyButton, intent_payload
from hotich.booking import calendar as cal
from hotich.booking.dates import WEEKDAY_LONG, day_label, short_day_label
from hotich.commune import CommuneProfile
from hotich.procedures import get as get_procedure

PROBLEM_TEXT = {
    "past": "Ngày {day} đã qua rồi ạ.",
    "too_far": "Xã chỉ nhận đặt lịch trong vòng {horizon} ngày tới, nên chưa đặt được ngày {day}.",
    "holiday": "Ngày {day} là ngày nghỉ lễ, xã không tiếp nhận hồ sơ.",
    "closed_weekday": "{weekday} xã không tiếp nhận hồ sơ.",
    "same_day_cutoff": "Đã quá giờ nhận đặt lịch trong ngày hôm nay.",
    "no_slot_left_today": "Hôm nay không còn giờ nào đặt kịp nữa.",
    "full": "Ngày {day} đã kín lịch.",
    "closed": "Giờ này xã tạm ngưng tiếp nhận.",
    "not_a_slot": "Không có khung giờ hẹn bắt đầu lúc {time} ngày {day}.",
    "lead_time": "Giờ {time} ngày {day} đã quá gần, xã cần đặt trước ít nhất {lead} phút.",
}


def procedure_name(code: str | None) -> str:
    p = get_procedure(code)
    return p.name if p else (code or "")


def problem_text(profile: CommuneProfile, reason: str, day: date | None = None, start: int | None = None) -> str:
    template = PROBLEM_TEXT.get(reason, "Không đặt được thời gian này.")
    return template.format(day=day_label(day) if day else "", weekday=WEEKDAY_LONG[day.weekday()] if day else "",
                           horizon=profile.booking.horizon_days, time=cal.hhmm(start) if start is not None else "",
                           lead=profile.booking.min_lead_minutes)


def slot_title(slot: cal.Slot, with_day: bool = False, capacity: int | None = None) -> str:
    title = f"{slot.hhmm}" + (f" {short_day_label(slot.day)}" if with_day else "")
    if capacity is not None and slot.free == 1:
        title += " (còn 1 chỗ)"
    return title


def day_button(day: date, free: int) -> ReplyButton:
    return ReplyButton(f"{short_day_label(day)} · {free} chỗ", intent_payload("inform", booking_day=day.isoformat()))


def time_button(slot: cal.Slot) -> ReplyButton:
    title = slot.hhmm + (" (còn 1 chỗ)" if slot.free == 1 else "")
    return ReplyButton(title, intent_payload("inform", booking_time=slot.hhmm))


def slot_list(slots: list[cal.Slot]) -> str:
    return ", ".join(f"{s.hhmm} {day_label(s.day)}" for s in slots)


def booking_line(code: str, procedure: str, day: date, start: int) -> str:
    return f"• {code} — {procedure_name(procedure)} — {cal.hhmm(start)} {day_label(day, with_year=True)}"


def manage_buttons(code: str) -> list[ReplyButton]:
    return [ReplyButton(f"🗓 Đổi lịch {code}", intent_payload("reschedule_appointment", booking_code=code)),
            ReplyButton(f"❌ Hủy lịch {code}", intent_payload("cancel_appointment", booking_code=code))]


def checklist_text(items: list[str]) -> str:
    return "\n".join(f"• {i}" for i in items)
