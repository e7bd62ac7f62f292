"""Sending papers ahead (issue #5): procedure → consent → checklist → submit, and erasing one's data.

Thin: the tracker gives the step (button entity `upload`, or a typed yes/no after our question),
hotich.uploads.flow does the work. Files never pass through here: the gateway receives them.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import case_of, entity, kb, latest, record, send, settings
from actions.booking import service as booking_service
from hotich.uploads.flow import delete_turn, find_appointment, upload_turn
from hotich.uploads.service import UploadService


@lru_cache(maxsize=1)
def service() -> UploadService:
    return UploadService.from_settings(settings(), kb())


class ActionUploadDocuments(Action):
    def name(self) -> str:
        return "action_upload_documents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        svc = service()
        _, intent, _ = latest(tracker)
        resident_id = svc.resident_for(tracker.sender_id)
        appointment = find_appointment(svc.db_url, tracker.sender_id)
        procedure = entity(tracker, "procedure") or tracker.get_slot("procedure")
        turn = upload_turn(svc, resident_id, entity(tracker, "upload"), procedure,
                           intent=intent, prompt=tracker.get_slot("upload_prompt"), appointment=appointment,
                           case=case_of(tracker, procedure))
        send(dispatcher, *turn.messages)
        record(tracker, "answered", turn.procedure)
        events = [SlotSet("upload_prompt", turn.prompt), SlotSet("fallback_count", 0.0)]
        if turn.procedure:
            events.append(SlotSet("procedure", turn.procedure))
        return events


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        svc = service()
        _, intent, _ = latest(tracker)
        turn = delete_turn(svc, tracker.sender_id, entity(tracker, "upload"), intent=intent,
                           prompt=tracker.get_slot("upload_prompt"), bookings=booking_service())
        send(dispatcher, *turn.messages)
        record(tracker, "answered")
        return [SlotSet("upload_prompt", turn.prompt), SlotSet("fallback_count", 0.0)]
