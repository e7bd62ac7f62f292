"""Channel-neutral message types exchanged between adapters and the gateway core."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from hotich import identity
from hotich.assistant.replies import ReplyMessage


@dataclass(frozen=True)
class Button:
    title: str
    payload: str          # what the bot receives when pressed, e.g. '/ask_fee{"procedure":"khai_sinh"}'


# Said instead of a file on channels that cannot show one (web page, Zalo Bot Platform).
FILE_NOT_SHOWN_TEXT = ("(Cán bộ đã gửi một tệp đính kèm; kênh này chưa hiển thị được tệp. "
                       "Anh/chị vui lòng liên hệ xã để nhận.)")


@dataclass(frozen=True)
class Attachment:
    """A file to hand to the resident (an officer's photo or document), for channels that show files."""
    filename: str
    data: bytes
    image: bool


@dataclass
class IncomingMessage:
    channel: str                          # hotich.identity channels: "web" | "telegram" | "zalo_bot" | "zalo_oa"
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
    attachment: Attachment | None = None

    @classmethod
    def from_rasa(cls, item: dict[str, Any]) -> "OutgoingMessage":
        """One item of Rasa's REST answer (also the stored JSON form, see to_json)."""
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in item.get("buttons") or []]
        att = item.get("attachment")
        attachment = (Attachment(str(att["filename"]), base64.b64decode(att["data"]), bool(att.get("image")))
                      if isinstance(att, dict) and att.get("data") else None)
        return cls(text=item.get("text") or "", buttons=buttons, image=item.get("image"), custom=item.get("custom"),
                   attachment=attachment)

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
        if self.attachment is not None:      # kept only until delivered (the queue clears it then)
            data["attachment"] = {"filename": self.attachment.filename, "image": self.attachment.image,
                                  "data": base64.b64encode(self.attachment.data).decode("ascii")}
        return data


def from_replies(*replies: ReplyMessage) -> list[OutgoingMessage]:
    return [OutgoingMessage.from_reply(r) for r in replies]
