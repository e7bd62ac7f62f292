"""Sending papers ahead: procedure → consent → checklist → submit, and erasing one's data.

Thin: the step comes from a button (entity `upload`) or from the small form that asked a yes/no
question (slots upload_consent, upload_send, erase_confirm, filled by a typed "có"/"không" as
domain.yml maps it); hotich.uploads.flow does the work. A turn that asks such a question sets
`upload_prompt` and lets the question's form ask it (nlu_data/rules/uploads.yml). Files never
pass through here: the gateway receives them.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import service as booking_service
from actions.common import case_of, entity, kb, record, send, settings
from hotich.uploads.flow import (consent_question, delete_question, delete_turn, find_appointment, send_question,
                                 upload_turn)
from hotich.uploads.service import UploadService

ANSWER_SLOTS = ("upload_consent", "upload_send")


@lru_cache(maxsize=1)
def service() -> UploadService:
    return UploadService.from_settings(settings(), kb())


def _step(tracker: Tracker, *answer_slots: str) -> str | None:
    """A button's step first (it may be pressed while a question waits), else the typed answer."""
    return entity(tracker, "upload") or next((tracker.get_slot(s) for s in answer_slots if tracker.get_slot(s)), None)


class ActionUploadDocuments(Action):
    def name(self) -> str:
        return "action_upload_documents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        svc = service()
        resident_id = svc.resident_for(tracker.sender_id)
        appointment = find_appointment(svc.db_url, tracker.sender_id)
        procedure = entity(tracker, "procedure") or tracker.get_slot("procedure")
        turn = upload_turn(svc, resident_id, _step(tracker, *ANSWER_SLOTS), procedure, appointment=appointment,
                           case=case_of(tracker, procedure))
        if not turn.prompt:                       # a question is asked by its form (action_ask_…)
            send(dispatcher, *turn.messages)
        record(tracker, "answered", turn.procedure)
        events = [SlotSet("upload_prompt", turn.prompt), SlotSet("fallback_count", 0.0),
                  *[SlotSet(s, None) for s in ANSWER_SLOTS]]
        if turn.procedure:
            events.append(SlotSet("procedure", turn.procedure))
        return events


class ActionAskUploadConsent(Action):
    def name(self) -> str:
        return "action_ask_upload_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, consent_question(service()))
        return []


class ActionAskUploadSend(Action):
    def name(self) -> str:
        return "action_ask_upload_send"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        svc = service()
        send(dispatcher, send_question(svc, svc.resident_for(tracker.sender_id)))
        return []


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        turn = delete_turn(service(), tracker.sender_id, _step(tracker, "erase_confirm"), bookings=booking_service())
        if not turn.prompt:                       # the question is asked by erase_form
            send(dispatcher, *turn.messages)
        record(tracker, "answered")
        return [SlotSet("upload_prompt", turn.prompt), SlotSet("fallback_count", 0.0), SlotSet("erase_confirm", None)]


class ActionAskEraseConfirm(Action):
    def name(self) -> str:
        return "action_ask_erase_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, delete_question(service(), tracker.sender_id, booking_service()))
        return []
