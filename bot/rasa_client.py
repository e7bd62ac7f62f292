"""Talks to Rasa: its REST channel (POST /webhooks/rest/webhook) on one or several Rasa replicas,
and, read-only, a conversation's tracker."""
from __future__ import annotations

import asyncio
import zlib
from typing import Any, Sequence
from urllib.parse import quote

import aiohttp


class RasaUnavailable(Exception):
    """Rasa (or the actions server behind it) could not answer."""


class RasaClient:
    """`base_url`: one Rasa, or several replicas sharing one tracker store and a Redis lock store.

    Each conversation goes to the same replica (a hash of the sender id), so its turns stay in
    order and the replica's caches stay warm; when that replica cannot be reached, the next one
    answers (safe: the lock store serialises a conversation across replicas).
    """

    def __init__(self, base_url: str | Sequence[str], token: str = "", timeout_s: float = 30.0) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.base_urls = [u.rstrip("/") for u in urls if u.strip()]
        if not self.base_urls:
            raise ValueError("no Rasa URL")
        self.base_url = self.base_urls[0]
        # Rasa's API and REST channel refuse calls without `?token=` (RASA_TOKEN).
        self._params = {"token": token} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def replicas_for(self, sender_id: str) -> list[str]:
        """The replicas to try for this conversation: its own first, then the others."""
        first = zlib.crc32(sender_id.encode()) % len(self.base_urls)
        return self.base_urls[first:] + self.base_urls[:first]

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # One pooled session: reply latency through the gateway should stay close to Rasa's own.
            self._session = aiohttp.ClientSession(timeout=self._timeout,
                                                  connector=aiohttp.TCPConnector(limit=100))
        return self._session

    async def send(self, sender_id: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        session = await self._get_session()
        body = {"sender": sender_id, "message": message, "metadata": metadata or {}}
        for i, url in enumerate(self.replicas_for(sender_id)):
            last = i == len(self.base_urls) - 1
            try:
                async with session.post(f"{url}/webhooks/rest/webhook", json=body, params=self._params) as resp:
                    if resp.status != 200:
                        raise RasaUnavailable(f"Rasa answered HTTP {resp.status}")
                    data = await resp.json(content_type=None)
                break
            except aiohttp.ClientConnectionError as exc:
                # Not reached (down, restarting): the message was not processed, another replica may.
                if last:
                    raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                # It may have processed the message: sending it again elsewhere could answer twice.
                raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(data, list):
            raise RasaUnavailable("unexpected reply from Rasa")
        # Rasa answers 200 with a bot message when the actions server is down; the actions server
        # never sends this text, so it marks a failed action (see action_default_fallback handling).
        return data

    async def tracker(self, sender_id: str) -> dict[str, Any] | None:
        """The conversation's tracker with its events since the last restart (None if unavailable).
        Read only: the gateway changes a conversation only by sending it messages."""
        session = await self._get_session()
        url = f"{self.replicas_for(sender_id)[0]}/conversations/{quote(sender_id, safe='')}/tracker"
        try:
            async with session.get(url, params={"include_events": "AFTER_RESTART", **self._params}) as resp:
                if resp.status != 200:
                    return None
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None

    async def is_ready(self) -> bool:
        """True when at least one replica answers (the others' conversations fail over to it)."""
        session = await self._get_session()
        for url in self.base_urls:
            try:
                async with session.get(f"{url}/status", params=self._params) as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
        return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
