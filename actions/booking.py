"""Appointment booking (issue #4): the booking form and check / cancel / reschedule.

Thin adapters: every decision is in hotich.booking.dialogue; here only tracker ↔ plain values.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import kb, profile, send, settings
from hotich.booking import dialogue
from hotich.booking.clock import clock_from_env
from hotich.booking.reminders import checklist_from_kb
from hotich.privacy.logid import log_id
from hotich.booking.service import BookingService

log = logging.getLogger(__name__)
FORM = "booking_form"
# Actions after which the form may still read the resident's message (it was meant for the form).
_READS_MESSAGE = {FORM, "action_listen", "action_extract_slots", f"validate_{FORM}", "action_reschedule_appointment"}


@lru_cache(maxsize=1)
def service() -> BookingService:
    return BookingService(settings().database_url, profile(), clock_from_env())


def _raw_text(tracker: Tracker) -> str:
    """The message as typed (the NLU pipeline lower-cases `latest_message.text`)."""
    for ev in reversed(tracker.events):
        if ev.get("event") == "user":
            return ev.get("text") or ""
    return (tracker.latest_message or {}).get("text") or ""


def _entities(tracker: Tracker) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") and e.get("value") is not None:
            out.setdefault(e["entity"], str(e["value"]))
    return out


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _resumed(tracker: Tracker) -> bool:
    """True when another action already handled the latest message (a question in the middle)."""
    for ev in reversed(tracker.events):
        if ev.get("event") == "user":
            return False
        if ev.get("event") == "action" and ev.get("name") not in _READS_MESSAGE:
            return True
    return False


def _state(tracker: Tracker) -> dict[str, Any]:
    state = {s: tracker.get_slot(s) for s in dialogue.ALL_SLOTS}
    state["_context_procedure"] = tracker.get_slot("procedure")
    return state


class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        turn = dialogue.Turn(text=_raw_text(tracker), intent=_intent(tracker), entities=_entities(tracker),
                             requested=tracker.get_slot("requested_slot"),
                             resumed=_resumed(tracker))
        result = dialogue.step(service(), _state(tracker), turn)
        send(dispatcher, *result.messages)
        # Only SlotSets when the message was for the form; nothing → Rasa lets the rules take the turn.
        events: list = [SlotSet(k, v) for k, v in result.slots.items()]
        events.append(SlotSet("requested_slot", result.requested))
        log.info("booking form: sender=%s requested=%s filled=%s next=%s", log_id(tracker.sender_id), turn.requested,
                 sorted(result.slots), result.requested)
        return events


class _AskAction(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, *dialogue.ask(service(), _state(tracker), self.slot))
        return []


class ActionAskBookingProcedure(_AskAction):
    slot = dialogue.PROCEDURE


class ActionAskBookingDay(_AskAction):
    slot = dialogue.DAY


class ActionAskBookingTime(_AskAction):
    slot = dialogue.TIME


class ActionAskBookingName(_AskAction):
    slot = dialogue.NAME


class ActionAskBookingPhone(_AskAction):
    slot = dialogue.PHONE


class ActionAskBookingConfirm(_AskAction):
    slot = dialogue.CONFIRM


class ActionBookingSubmit(Action):
    def name(self) -> str:
        return "action_booking_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        state = _state(tracker)
        checklist = checklist_from_kb(kb())(state.get(dialogue.PROCEDURE) or "")
        result = dialogue.submit(service(), state, tracker.sender_id, checklist)
        send(dispatcher, *result.messages)
        events: list = [SlotSet(k, v) for k, v in result.slots.items()]
        if result.ask_again:
            events.append(FollowupAction(FORM))      # the form asks again (a new time)
        return events


class ActionBookingStop(Action):
    """The resident said no / cancel in the middle of the form."""

    def name(self) -> str:
        return "action_booking_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, dialogue.stop_message())
        return [ActiveLoop(None), SlotSet("requested_slot", None),
                *[SlotSet(k, v) for k, v in dialogue.reset_slots().items()]]


class ActionCheckAppointments(Action):
    def name(self) -> str:
        return "action_check_appointments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, *dialogue.list_bookings(service(), tracker.sender_id, _raw_text(tracker), _entities(tracker)))
        return []


class ActionCancelAppointment(Action):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, *dialogue.cancel(service(), tracker.sender_id, _raw_text(tracker), _entities(tracker)))
        return []


class ActionRescheduleAppointment(Action):
    def name(self) -> str:
        return "action_reschedule_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        slots, messages = dialogue.start_reschedule(service(), tracker.sender_id, _raw_text(tracker),
                                                    _entities(tracker))
        send(dispatcher, *messages)
        if slots is None:
            return []
        return [*[SlotSet(k, v) for k, v in slots.items()], FollowupAction(FORM)]
