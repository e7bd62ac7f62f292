"""Rasa NLU component: map every extracted `procedure` value to its canonical code.

DIET extracts the span the resident typed ("giay chung tu", "sao y", "giấy độc thân"); the
synonym table cannot list every spelling. `hotich.procedures.canonical_procedure` matches
aliases ignoring accents, so the contract values (khai_sinh, khai_tu, ket_hon, chung_thuc,
xac_nhan_hon_nhan) come out whatever the spelling. Unknown values are dropped rather than
passed on as a procedure nobody can answer for.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message

from hotich.procedures import canonical_procedure


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ProcedureCanonicalizer(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ProcedureCanonicalizer":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES) or []
            kept = []
            for entity in entities:
                if entity.get(ENTITY_ATTRIBUTE_TYPE) == "procedure":
                    code = canonical_procedure(str(entity.get(ENTITY_ATTRIBUTE_VALUE, "")))
                    if code is None:
                        continue
                    entity[ENTITY_ATTRIBUTE_VALUE] = code
                kept.append(entity)
            message.set(ENTITIES, kept, add_to_output=True)
        return messages
