"""Appointment booking: the Rasa form `booking_form` and check / cancel / reschedule.

Thin adapters. The form is Rasa's: `required_slots` says what it asks, `extract_<slot>` reads
the slot from the latest message (hotich.booking.form, pure), `validate_<slot>` checks it
against the calendar (BookingService). Questions in the middle and "không" are Rasa rules
(nlu_data/rules/booking.yml): a message that fills nothing makes the form step aside.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import case_of, kb, profile, send, settings
from hotich.booking import dialogue, form
from hotich.booking.clock import clock_from_env
from hotich.booking.form import Checked, Message
from hotich.booking.reminders import checklist_from_kb
from hotich.privacy.logid import log_id
from hotich.booking.service import BookingService

log = logging.getLogger(__name__)
FORM = "booking_form"


@lru_cache(maxsize=1)
def service() -> BookingService:
    return BookingService(settings().database_url, profile(), clock_from_env())


def _typed(tracker: Tracker) -> str:
    """The message as the resident typed it (the NLU pipeline lower-cases the parsed text)."""
    event = tracker.get_last_event_for("user") or {}
    return event.get("text") or ""


def _entities(tracker: Tracker) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") and e.get("value") is not None:
            out.setdefault(e["entity"], str(e["value"]))
    return out


def _message(tracker: Tracker) -> Message:
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    return Message.of(_typed(tracker), intent, _entities(tracker), tracker.get_slot("requested_slot"))


def _state(tracker: Tracker) -> dict[str, Any]:
    return {s: tracker.get_slot(s) for s in form.ALL_SLOTS}


def _new(tracker: Tracker, slot: str, value: Any) -> dict[str, Any]:
    """Only a value that changes the slot counts as filled (else the form steps aside)."""
    return {} if value is None or value == tracker.get_slot(slot) else {slot: value}


def _apply(dispatcher: CollectingDispatcher, checked: Checked) -> dict[str, Any]:
    send(dispatcher, *checked.messages)
    return checked.slots


class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        return form.required_slots(rescheduling=bool(tracker.get_slot(form.REF)))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        # requested_slot is None only when the form starts (Rasa has already made it the active loop).
        starting = tracker.get_slot("requested_slot") is None
        if starting and not tracker.get_slot(form.REF):
            # The booking cap is told before the resident types anything (still enforced at submit).
            full = form.cap_reached(service(), tracker.sender_id)
            if full is not None:
                send(dispatcher, full)
                return [SlotSet("requested_slot", None)]          # the form ends without a booking
        events = await super().run(dispatcher, tracker, domain)
        log.info("booking form: sender=%s filled=%s", log_id(tracker.sender_id),
                 sorted(e["name"] for e in events if e.get("event") == "slot" and e["name"] != "requested_slot"))
        return events

    # -- extraction: what the latest message gives each slot
    async def extract_booking_procedure(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if tracker.get_slot(form.REF):
            return {}                                 # a reschedule keeps the booking's procedure
        return _new(tracker, form.PROCEDURE, form.extract_procedure(_message(tracker), tracker.get_slot("procedure")))

    async def extract_booking_day(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _new(tracker, form.DAY, form.extract_day(_message(tracker), service().now()))

    async def extract_booking_time(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _new(tracker, form.TIME, form.extract_time(_message(tracker), service().now()))

    async def extract_booking_name(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return form.extract_name_and_phone(_message(tracker))

    async def extract_booking_phone(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _new(tracker, form.PHONE, form.extract_phone(_message(tracker)))

    # -- validation: is the value bookable
    def validate_booking_procedure(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _apply(dispatcher, form.check_procedure(service(), value, _state(tracker)))

    def validate_booking_day(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _apply(dispatcher, form.check_day(service(), value, _state(tracker)))

    def validate_booking_time(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _apply(dispatcher, form.check_time(service(), value, _state(tracker)))

    def validate_booking_name(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _apply(dispatcher, form.check_name(value))

    def validate_booking_phone(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return _apply(dispatcher, form.check_phone(value))

    def validate_booking_confirm(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """A typed or pressed yes to the summary (domain.yml maps intent affirm)."""
        return {form.CONFIRM: value}


class _AskAction(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        send(dispatcher, *dialogue.ask(service(), _state(tracker), self.slot))
        return []


class ActionAskBookingProcedure(_AskAction):
    slot = form.PROCEDURE


class ActionAskBookingDay(_AskAction):
    slot = form.DAY


class ActionAskBookingTime(_AskAction):
    slot = form.TIME


class ActionAskBookingName(_AskAction):
    slot = form.NAME


class ActionAskBookingPhone(_AskAction):
    slot = form.PHONE


class ActionAskBookingConfirm(_AskAction):
    slot = form.CONFIRM


class ActionBookingSubmit(Action):
    def name(self) -> str:
        return "action_booking_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        state = _state(tracker)
        procedure = state.get(form.PROCEDURE) or ""
        case = case_of(tracker, procedure)
        checklist = checklist_from_kb(kb())(procedure, case)
        result = dialogue.submit(service(), state, tracker.sender_id, checklist, case=case)
        send(dispatcher, *result.messages)
        events: list = [SlotSet(k, v) for k, v in result.slots.items()]
        if result.ask_again:
            events.append(FollowupAction(FORM))      # the form asks again (a new time)
        return events


class ActionBookingStop(Action):
    """The resident said no / cancel in the middle of the form."""

    def name(self) -> str:
        return "action_booking_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        send(dispatcher, dialogue.stop_message())
        return [ActiveLoop(None), SlotSet("requested_slot", None),
                *[SlotSet(k, v) for k, v in dialogue.reset_slots().items()]]


class ActionBookingContinue(Action):
    """"Đặt lịch" pressed or typed again while the form is open: say so; the form then asks its
    question again where it was."""

    def name(self) -> str:
        return "action_booking_continue"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        send(dispatcher, dialogue.continue_message())
        return []


class ActionCheckAppointments(Action):
    def name(self) -> str:
        return "action_check_appointments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        send(dispatcher, *dialogue.list_bookings(service(), tracker.sender_id, _typed(tracker), _entities(tracker)))
        return []


class ActionCancelAppointment(Action):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        send(dispatcher, *dialogue.cancel(service(), tracker.sender_id, _typed(tracker), _entities(tracker)))
        return []


class ActionRescheduleAppointment(Action):
    def name(self) -> str:
        return "action_reschedule_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list:
        slots, messages = dialogue.start_reschedule(service(), tracker.sender_id, _typed(tracker),
                                                    _entities(tracker))
        send(dispatcher, *messages)
        # booking_ref set → the rules open the form for the new time; None → the resident picks one.
        return [SlotSet(k, v) for k, v in (slots or {form.REF: None}).items()]
