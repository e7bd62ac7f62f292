"""Rasa checks every reply of the actions server with `jsonschema.validate(result, schema)`, which
first re-validates the large events schema against its metaschema, on every call: ~100 ms of
CPU per custom action under load, a third of a dialogue turn (docs/performance.md). Here the
schema is checked and compiled once; a reply that fails goes through Rasa's own method, so the
error raised (and its message) is Rasa's.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import validators
from rasa.core.actions.action import RemoteAction

_rasa_validate = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _validator().is_valid(result):
        return True
    return _rasa_validate(self, result)   # raises Rasa's ValidationError


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
