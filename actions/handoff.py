"""Hand-off to the officer and back.

`action_talk_to_officer` only asks the gateway to escalate: the gateway (bot/handoff.py) sees the
custom payload in Rasa's reply and does the rest (queue, staff topic, what the resident is told,
or the officer's contact when no staff group is set up). When the officer hands the chat back,
the gateway sends `/handoff_returned{"procedure": …}` and `action_handoff_returned` starts over.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, record, send
from hotich.session import carried, hand_back

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


class ActionHandoffReturned(Action):
    """An officer handed the chat back: no form left half-way, no slot but the procedure kept."""

    def name(self) -> str:
        return "action_handoff_returned"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        kept = carried(tracker.slots)
        procedure = entity(tracker, "procedure") or kept.get("procedure")
        if procedure:
            kept["procedure"] = procedure
        send(dispatcher, hand_back(procedure))
        return [ActiveLoop(None), AllSlotsReset(), *[SlotSet(k, v) for k, v in kept.items()]]
