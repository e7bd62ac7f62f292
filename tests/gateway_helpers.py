"""The real gateway (bot.app.build_gateway: every feature, channel and background job wired the
way `python -m bot` wires them) served by aiohttp's test server, for tests that talk to it."""
from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_gateway
from bot.web.limits import WebLimits
from hotich.config import Settings, load_settings
from hotich.handoff.hours import OfficerHours


def gateway_settings(db_url: str, rasa_url: str, **overrides) -> Settings:
    """Settings for a test gateway: web only unless overrides turn channels on, and no Rasa tracker
    store to erase from unless `rasa_tracker_url` names one (never the developer's var/ file)."""
    base = dict(database_url=db_url, rasa_url=rasa_url, telegram_token="", staff_chat_id=None,
                officer_telegram_ids=frozenset(), zalo_bot_token="", zalo_app_id="", rasa_tracker_url="")
    base.update(overrides)
    return dataclasses.replace(load_settings(), **base)


@asynccontextmanager
async def running_gateway(settings: Settings, hours: OfficerHours | None = None, retry_interval_s: float = 0.2,
                          limits: WebLimits | None = None) -> AsyncIterator[TestClient]:
    """The gateway on a free port; its background jobs and channels run until the block ends."""
    client = TestClient(TestServer(build_gateway(settings, hours=hours, retry_interval_s=retry_interval_s,
                                                      limits=limits)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
