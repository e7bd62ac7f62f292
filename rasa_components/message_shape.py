"""Rasa NLU component: a long or multi-sentence message becomes intent `describe_situation`.

DIET is trained on short turns; on a family story ("Tôi sinh cháu ở nhà, không có giấy chứng sinh,
nay cháu gần 2 tuổi…") it picks whichever short intent shares a word (office hours, greeting).
Such messages go to the FAQ search (rule → action_answer_situation); the classifier's ranking is
kept below so the action can use the topic it guessed as a weak prior. Intents that start a flow
(booking, hand-off, erasing data) are kept: they are decided by the resident's wish, not length.
Imports only `hotich.text` (pure Python), like the normaliser.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from hotich.text.shape import is_long_message

SITUATION_INTENT = "describe_situation"
# Short-turn intents a narrative is wrongly forced into; anything else is kept.
OVERRIDDEN = {
    "greet", "goodbye", "thank", "affirm", "deny", "out_of_scope", "nlu_fallback", "not_understood",
    "ask_documents", "ask_fee", "ask_processing_time", "ask_deadline", "ask_online", "ask_who_comes",
    "ask_office_info", "choose_procedure", "upload_documents", "show_details",
}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LongMessageRouter(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LongMessageRouter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) not in OVERRIDDEN or not is_long_message(message.get(TEXT) or ""):
                continue
            routed = {INTENT_NAME_KEY: SITUATION_INTENT, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != SITUATION_INTENT]
            message.set(INTENT, routed, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [routed] + ranking, add_to_output=True)
        return messages
