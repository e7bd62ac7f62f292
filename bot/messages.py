"""Channel-neutral message types exchanged between adapters and the gateway core."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot import identity
from hotich.assistant.replies import ReplyMessage


@dataclass(frozen=True)
class Button:
    title: str
    payload: str          # what the bot receives when pressed, e.g. '/ask_fee{"procedure":"khai_sinh"}'


@dataclass
class IncomingMessage:
    channel: str                          # bot.identity channels: "web" | "telegram" | "zalo_bot" | "zalo_oa"
    user_id: str                          # channel's user id (Telegram user id, web session id, Zalo id)
    text: str | None = None               # what the resident typed
    payload: str | None = None            # a pressed button's payload (sent to Rasa verbatim)
    start_payload: str | None = None      # deep-link payload (/start <payload>, web ?start=)
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sender_id(self) -> str:
        """Conversation id used with Rasa and in the DB: '<channel>:<user id>'."""
        return identity.sender_id(self.channel, self.user_id)


@dataclass
class OutgoingMessage:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    image: str | None = None
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, item: dict[str, Any]) -> "OutgoingMessage":
        """One item of Rasa's REST answer (also the stored JSON form, see to_json)."""
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in item.get("buttons") or []]
        return cls(text=item.get("text") or "", buttons=buttons, image=item.get("image"), custom=item.get("custom"))

    @classmethod
    def from_reply(cls, reply: ReplyMessage, custom: dict[str, Any] | None = None) -> "OutgoingMessage":
        """A reply written by the domain (hotich.assistant.replies.ReplyMessage)."""
        return cls(text=reply.text, buttons=[Button(b.title, b.payload) for b in reply.buttons], custom=custom)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text,
                                "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons]}
        if self.image:
            data["image"] = self.image
        if self.custom:
            data["custom"] = self.custom
        return data


def from_replies(*replies: ReplyMessage) -> list[OutgoingMessage]:
    return [OutgoingMessage.from_reply(r) for r in replies]
