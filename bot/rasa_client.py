"""Talks to Rasa's REST channel (POST /webhooks/rest/webhook)."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or the actions server behind it) could not answer."""


class RasaClient:
    def __init__(self, base_url: str, token: str = "", timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        # Rasa's API and REST channel refuse calls without `?token=` (RASA_TOKEN).
        self._params = {"token": token} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # One pooled session: reply latency through the gateway should stay close to Rasa's own.
            self._session = aiohttp.ClientSession(timeout=self._timeout,
                                                  connector=aiohttp.TCPConnector(limit=100))
        return self._session

    async def send(self, sender_id: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        session = await self._get_session()
        body = {"sender": sender_id, "message": message, "metadata": metadata or {}}
        try:
            async with session.post(f"{self.base_url}/webhooks/rest/webhook", json=body,
                                    params=self._params) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, list):
            raise RasaUnavailable("unexpected reply from Rasa")
        # Rasa answers 200 with a bot message when the actions server is down; the actions server
        # never sends this text, so it marks a failed action (see action_default_fallback handling).
        return data

    async def is_ready(self) -> bool:
        session = await self._get_session()
        try:
            async with session.get(f"{self.base_url}/status", params=self._params) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
