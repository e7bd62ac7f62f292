"""The gateway with several Rasa replicas: a resident's conversation stays on one replica, the
residents are spread over all of them, and when a replica is down its residents are still
answered by another; every call carries Rasa's token."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.rasa_client import RasaClient, RasaUnavailable
from tests.fake_rasa import RasaServer


class Replica(RasaServer):
    def __init__(self, name: str, token: str) -> None:
        super().__init__()
        self.name, self.token = name, token

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/status", self._status)

    def _authorised(self, request: web.Request) -> bool:
        return request.query.get("token") == self.token

    async def _webhook(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        self.received.append((body["sender"], body["message"]))
        return web.json_response([{"recipient_id": body["sender"], "text": f"Dạ, em ở {self.name} ạ."}])

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response({}, status=200 if self._authorised(request) else 401)


def test_sticky_spread_and_failover():
    async def scenario():
        replicas = [Replica("a", "tok"), Replica("b", "tok")]
        for r in replicas:
            await r.start()
        client = RasaClient([r.url for r in replicas], token="tok", timeout_s=5)
        try:
            residents = [f"web:{i}" for i in range(20)]
            first = {s: (await client.send(s, "chào em"))[0]["text"] for s in residents}
            again = {s: (await client.send(s, "cảm ơn em"))[0]["text"] for s in residents}
            assert first == again                                  # sticky
            assert {len(r.received) for r in replicas} != {0}      # both used
            assert all(r.received for r in replicas)
            assert await client.is_ready()

            await replicas[0].stop()                               # replica a goes down
            for s in residents:
                assert (await client.send(s, "lịch hẹn của em"))[0]["text"] == "Dạ, em ở b ạ."
            assert await client.is_ready()
        finally:
            await client.close()
            for r in replicas:
                await r.stop()

    asyncio.run(scenario())


def test_a_wrong_token_is_not_an_answer():
    async def scenario():
        replica = Replica("a", "right")
        await replica.start()
        client = RasaClient(replica.url, token="wrong", timeout_s=5)
        try:
            assert not await client.is_ready()
            with pytest.raises(RasaUnavailable, match="401"):   # the gateway keeps the message for later
                await client.send("web:1", "chào em")
        finally:
            await client.close()
            await replica.stop()

    asyncio.run(scenario())
