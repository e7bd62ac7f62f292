"""A new conversation session: carry over only the slots without personal data (hotich.session)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from hotich.session import carried

METADATA_SLOT = "session_started_metadata"


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        events: list = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in carried(tracker.slots).items()]
        metadata = tracker.get_slot(METADATA_SLOT)
        if metadata is not None:    # the channel metadata of the message that started the session
            events.append(SlotSet(METADATA_SLOT, metadata))
        events.append(ActionExecuted("action_listen"))
        return events
