"""One turn of the send-papers-ahead dialogue and of "xóa dữ liệu của tôi", as the Rasa actions
run them: (resident, step, procedure) → replies + what to remember.

Steps are the `upload` entity values documented in dialogue.py, from a button or from the small
Rasa form that asked a yes/no question (a typed "có"/"không" fills its slot with the same step).
A turn that asks such a question says so in `prompt`; the Rasa rules then open that question's
form (domain.yml: upload_consent_form, upload_send_form, erase_form), which asks it again after
anything the resident asks in between.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from hotich.assistant.replies import ReplyMessage
from hotich.db.session import session_scope
from hotich.uploads import dialogue
from hotich.uploads.service import NotFound, UploadError, UploadService

log = logging.getLogger(__name__)

# The yes/no questions (slot upload_prompt)
P_CONSENT, P_SEND, P_DELETE = "consent", "send", "delete"


@dataclass
class Turn:
    messages: list[ReplyMessage]
    procedure: str | None = None      # for the `procedure` slot
    prompt: str | None = None         # the yes/no question asked (then the only message), for `upload_prompt`


@dataclass(frozen=True)
class Appointment:
    id: int
    at: datetime
    procedure: str | None


def find_appointment(db_url: str, sender_id: str, now: datetime | None = None) -> Appointment | None:
    """The resident's next booked appointment (booking feature, issue #4), if any."""
    try:
        from hotich.booking.clock import VN_TZ
        from hotich.db.models.booking import Booking
    except ImportError:   # booking not installed
        return None
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(VN_TZ).date()
    try:
        with session_scope(db_url) as s:
            row = s.scalars(select(Booking).where(Booking.sender_id == sender_id, Booking.status == "booked",
                                                  Booking.day >= today)
                            .order_by(Booking.day, Booking.start_min).limit(1)).first()
            if row is None:
                return None
            day: date = row.day
            local = datetime(day.year, day.month, day.day, tzinfo=VN_TZ) + timedelta(minutes=row.start_min)
            return Appointment(row.id, local.astimezone(timezone.utc), row.procedure)
    except Exception:   # the bookings table missing or changed must not break sending papers
        log.exception("uploads: appointment lookup failed")
        return None


def consent_question(svc: UploadService) -> ReplyMessage:
    return dialogue.consent_question(svc.retention.days)


def send_question(svc: UploadService, resident_id: int) -> ReplyMessage:
    """"Submit although required papers are missing?" for the resident's draft."""
    draft = svc.draft(resident_id)
    return dialogue.confirm_incomplete(svc.missing(draft) if draft is not None else [])


def upload_turn(svc: UploadService, resident_id: int, step: str | None, procedure: str | None,
                appointment: Appointment | None = None, case: str | None = None) -> Turn:
    """`case`: the sub-case of `procedure` the resident was asking about (its papers are listed)."""
    days = svc.retention.days
    if not svc.enabled:
        return Turn([ReplyMessage(dialogue_off())])
    draft = svc.draft(resident_id)

    if step == "no":
        return Turn([dialogue.consent_refused()])
    if step == "ok":
        svc.give_consent(resident_id)
        step = None
    elif step and (step.startswith("a:") or step.startswith("x:")):
        try:
            if step.startswith("a:"):
                _, file_id, n = step.split(":", 2)
                view, item = svc.attach(resident_id, file_id, int(n))
                return Turn([dialogue.attached(svc, view, item)], view.procedure)
            view = svc.remove_file(resident_id, step[2:])
            return Turn([dialogue.removed(svc, view)], view.procedure)
        except (NotFound, ValueError):
            return Turn([ReplyMessage("Tệp này không còn trong hồ sơ đang soạn của bạn "
                                      "(có thể hồ sơ đã được nộp hoặc đã bị xóa).")])
    elif step == "list" and draft is not None:
        return Turn([dialogue.status(svc, draft)], draft.procedure)
    elif step in ("send", "send!"):
        if draft is None or not draft.files:
            return Turn([dialogue.nothing_to_submit()], draft.procedure if draft else procedure)
        missing = svc.missing(draft)
        if missing and step == "send":
            return Turn([send_question(svc, resident_id)], draft.procedure, P_SEND)
        try:
            view = svc.submit(resident_id, appointment.id if appointment else None,
                              appointment.at if appointment else None)
        except UploadError as exc:
            return Turn([ReplyMessage(exc.message)])
        return Turn([dialogue.submitted(view, days)], view.procedure)

    # start, or continue after consent: procedure → consent → checklist
    proc = procedure or (draft.procedure if draft else None) or (appointment.procedure if appointment else None)
    if proc not in {p for p in svc.kb.procedures()}:
        return Turn([dialogue.choose_procedure()])
    if not svc.has_consent(resident_id):
        return Turn([consent_question(svc)], proc, P_CONSENT)
    view = svc.start(resident_id, proc, case=case if proc == procedure else None)
    return Turn([dialogue.checklist(svc, view)], proc)


def delete_question(svc: UploadService, sender_id: str, bookings=None) -> ReplyMessage:
    from hotich.privacy.erase import count_personal_data

    return dialogue.delete_question(count_personal_data(svc.db_url, sender_id, svc, bookings))


def delete_turn(svc: UploadService, sender_id: str, step: str | None, bookings=None) -> Turn:
    """"Xóa dữ liệu của tôi": say what is held, ask once, then erase everything personal
    (papers, appointments, questions, officer chat) through hotich.privacy.erase."""
    from hotich.privacy.erase import count_personal_data, erase_resident_data

    if step == "keep":
        return Turn([dialogue.kept()])
    if step == "yes":
        return Turn([dialogue.deleted(erase_resident_data(svc.db_url, sender_id, svc, bookings))])
    held = count_personal_data(svc.db_url, sender_id, svc, bookings)
    rid = svc.resident_for(sender_id, create=False)
    consent = bool(rid is not None and svc.summary(rid)[2])
    if held.total == 0 and not consent:
        return Turn([dialogue.nothing_stored()])
    return Turn([dialogue.delete_question(held)], prompt=P_DELETE)


def dialogue_off() -> str:
    return ("Hiện xã chưa nhận giấy tờ gửi trước qua tin nhắn. Anh/chị vui lòng mang giấy tờ đến Trung tâm "
            "Phục vụ hành chính công của xã.")
