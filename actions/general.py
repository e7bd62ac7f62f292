"""Greeting, office information, out of scope, fallback, officer contact."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest, profile, record, send
from hotich.assistant import general


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, general.greeting(profile()))
        return [SlotSet("fallback_count", 0.0)]


class ActionOfficeInfo(Action):
    def name(self) -> str:
        return "action_office_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, _, _ = latest(tracker)
        send(dispatcher, general.office_info(profile(), text))
        record(tracker, "answered")
        return [SlotSet("fallback_count", 0.0)]


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, general.out_of_scope(profile()))
        record(tracker, "out_of_scope")
        return [SlotSet("fallback_count", 0.0)]


class ActionFallback(Action):
    """Low NLU confidence: ask to rephrase; the second miss in a row offers the officer."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        send(dispatcher, general.fallback(profile(), misses))
        record(tracker, "fallback")
        if misses >= 2:   # the second miss in a row escalates by itself
            from actions.handoff import request_handoff

            request_handoff(dispatcher, tracker.get_slot("procedure"), "fallback")
            misses = 0
        # Revert the user turn so a misunderstood message does not steer the dialogue policy.
        return [UserUtteranceReverted(), SlotSet("fallback_count", float(misses))]



class ActionNotUnderstood(Action):
    """ "ko hiểu": how to ask in one's own words, or a person — not the greeting again."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, general.not_understood(profile(), tracker.get_slot("procedure")))
        record(tracker, "not_understood")
        return []


class ActionWhatToAsk(Action):
    """A lone "có" / "ok" that answers no question of ours."""

    def name(self) -> str:
        return "action_what_to_ask"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, general.what_to_ask())
        return []
