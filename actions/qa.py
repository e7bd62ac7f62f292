"""Questions about the five procedures → answers from the knowledge base."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, kb, latest, record, send
from hotich.assistant.qa import QAState, answer


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, intent, _ = latest(tracker)
        state = QAState(tracker.get_slot("procedure"), tracker.get_slot("case"), tracker.get_slot("pending_topic"))
        result = answer(kb(), intent or "", text, state,
                        entity_procedure=entity(tracker, "procedure"), button_case=entity(tracker, "case"))
        send(dispatcher, *result.messages)
        record(tracker, "answered" if result.answered else "clarify", result.state.procedure)
        return [SlotSet("procedure", result.state.procedure), SlotSet("case", result.state.case),
                SlotSet("pending_topic", result.state.pending_topic), SlotSet("fallback_count", 0.0)]
