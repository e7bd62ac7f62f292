"""Channel-neutral replies produced by the assistant logic and sent by the Rasa actions."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from hotich.procedures import PROCEDURES

# Said once under an answer instead of a list of caveats: the officer decides unusual cases.
NOT_SURE_LINE = "Nếu trường hợp của anh/chị khác, anh/chị hỏi lại cán bộ nhé."
MAX_BUTTONS = 6     # more than this is a wall of buttons on a small phone


@dataclass(frozen=True)
class ReplyButton:
    title: str
    payload: str


@dataclass
class ReplyMessage:
    text: str
    buttons: list[ReplyButton] = field(default_factory=list)


def intent_payload(intent: str, **entities: str | None) -> str:
    """A button payload Rasa understands without NLU: '/ask_fee{"procedure":"khai_sinh"}'."""
    ents = {k: v for k, v in entities.items() if v}
    return f"/{intent}" + (json.dumps(ents, ensure_ascii=False, separators=(",", ":")) if ents else "")


def procedure_buttons(intent: str = "choose_procedure") -> list[ReplyButton]:
    return [ReplyButton(p.name, intent_payload(intent, procedure=p.code)) for p in PROCEDURES]


def officer_button(procedure: str | None = None) -> ReplyButton:
    return ReplyButton("🙋 Hỏi cán bộ", intent_payload("talk_to_officer", procedure=procedure))
