"""Questions about the five procedures → answers from the knowledge base.

Buttons (topic, procedure, sub-case) are answered from the procedure's topics; typed questions
also consult the FAQ search, so "khai tử ở đâu" gets the where-to-go entry, not the papers.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import finish, retriever, state_of
from actions.common import entity, kb, latest, profile
from hotich.assistant import answers
from hotich.assistant.qa import answer
from hotich.text.shape import word_count

# "làm giấy khai sinh", "khai tu": naming a procedure, answered with its overview.
NAMING_WORDS = 4


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, intent, confidence = latest(tracker)
        state = state_of(tracker)
        procedure = entity(tracker, "procedure")
        if text.startswith("/") or (intent == "choose_procedure" and word_count(text) <= NAMING_WORDS):
            result = answer(kb(), intent or "", text, state, entity_procedure=procedure,
                            button_case=entity(tracker, "case"))
        else:
            result = answers.find(kb(), retriever(), profile(), text, state, intent=intent, confidence=confidence,
                                  entity_procedure=procedure)
        return finish(dispatcher, tracker, result)
