"""Hand-off to the officer (issue #6): the action only asks the gateway to escalate.

The gateway (bot/handoff.py) sees the custom payload in Rasa's reply and does the rest: queue,
staff topic, what the resident is told (or the officer's contact when no staff group is set up).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, record

HANDOFF_KEY = "handoff"


def request_handoff(dispatcher: CollectingDispatcher, procedure: str | None, reason: str) -> None:
    """The custom payload the gateway turns into an escalation."""
    dispatcher.utter_message(json_message={HANDOFF_KEY: "request", "procedure": procedure, "reason": reason})


class ActionTalkToOfficer(Action):
    """The resident asked for a person, or pressed "hỏi cán bộ" under an answer to be confirmed."""

    def name(self) -> str:
        return "action_talk_to_officer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        procedure = entity(tracker, "procedure") or tracker.get_slot("procedure")
        # A button press carrying the procedure comes from an answer marked "cần xác nhận với cán bộ".
        text = (tracker.latest_message or {}).get("text") or ""
        reason = "confirm" if text.startswith("/talk_to_officer{") else "asked"
        request_handoff(dispatcher, procedure, reason)
        record(tracker, "handoff", procedure)
        return [SlotSet("fallback_count", 0.0)]
