"""What the dialogue keeps when a conversation starts over (a new session, an officer's hand-back).

Only slots that hold no personal data are kept: the procedure the resident was asking about.
Names and phone numbers typed into the booking form belong to that booking only.
"""
from __future__ import annotations

from hotich.assistant.replies import ReplyMessage, procedure_buttons

CARRIED_SLOTS = ("procedure",)
HAND_BACK_TEXT = "Anh/chị cần hỏi thêm gì không ạ?"


def carried(slots: dict[str, object]) -> dict[str, object]:
    """The slot values a new session starts with."""
    return {name: slots[name] for name in CARRIED_SLOTS if slots.get(name) is not None}


def hand_back(procedure: str | None) -> ReplyMessage:
    """After an officer handed the chat back: the bot offers the topics, the resident's procedure first."""
    buttons = procedure_buttons()
    if procedure:
        buttons.sort(key=lambda b: 0 if f'"{procedure}"' in b.payload else 1)
    return ReplyMessage(HAND_BACK_TEXT, buttons)
