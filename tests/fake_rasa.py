"""Base for the small local servers that play Rasa's HTTP API in unit-level gateway tests.

Subclasses add their routes in `routes(app)` (at least POST /webhooks/rest/webhook) and decide
what to answer; this class owns the port and the start/stop-on-the-same-port life cycle, so a
test can take "Rasa" down and bring it back.
"""
from __future__ import annotations

from aiohttp import web

from hotich.ops.stack import free_port


class RasaServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[tuple[str, str]] = []     # (sender, message) as Rasa got them
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/rest/webhook", self._webhook)

    async def _webhook(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
