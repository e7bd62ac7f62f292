"""What the desk's handlers need, built once by the gateway and stored under one app key."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from aiohttp import web

from bot.desk.chats import DeskChats
from hotich.booking.clock import Clock
from hotich.commune import CommuneProfile
from hotich.commune_settings import effective_profile
from hotich.kb import KnowledgeBase
from hotich.uploads.service import Recipient, UploadService

from bot.messages import OutgoingMessage

# (recipient, messages) → delivered now or kept for the resident's next visit.
NotifyResident = Callable[[Recipient, list[OutgoingMessage]], Awaitable[object]]


@dataclass(frozen=True)
class Desk:
    db_url: str
    base_profile: CommuneProfile
    kb: KnowledgeBase
    uploads: UploadService
    chats: DeskChats
    notify: NotifyResident
    clock: Clock
    idle: timedelta = timedelta(minutes=30)
    secure_cookies: bool = False

    def profile(self) -> CommuneProfile:
        """The commune profile with the settings saved on the desk (no restart needed)."""
        return effective_profile(self.base_profile, self.db_url)


DESK_KEY = web.AppKey("desk", Desk)
