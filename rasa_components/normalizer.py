"""Rasa NLU component: normalise Vietnamese text before tokenisation.

Runs inside Rasa's own venv (Python 3.10). It imports only `hotich.text.normalize`, which is
pure Python; `hotich` is installed there with --no-deps (see Makefile). Putting normalisation in
the pipeline means every path into the NLU — gateway, `rasa test`, `/model/parse` — sees the
same text: NFC, one tone placement, chat abbreviations expanded, lower case.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from hotich.text.normalize import normalize_message, normalize_with_spans


def _is_payload(text: Any) -> bool:
    # Button payloads ("/ask_fee{...}") bypass NLU; leave them untouched.
    return not isinstance(text, str) or not text or text.startswith("/")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class VietnameseNormalizer(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VietnameseNormalizer":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if _is_payload(text):
                continue
            entities = message.get(ENTITIES) or []
            spans = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in entities]
            new_text, new_spans = normalize_with_spans(text, spans)
            for entity, (start, end) in zip(entities, new_spans):
                entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = start, end
            message.set(TEXT, new_text)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not _is_payload(text):
                message.set(TEXT, normalize_message(text))
        return messages
