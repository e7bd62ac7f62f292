"""Rasa's REST channel, closed: `--auth-token` protects Rasa's HTTP API but not its channel
webhooks, so without this anyone reaching Rasa could talk in any resident's name (sender id).

Same URL as the built-in channel (/webhooks/rest/webhook); every request must carry
`?token=<RASA_TOKEN>`, as the API does. Enabled in credentials.yml.
"""
from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request


class TokenRestInput(RestInput):
    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("RASA_TOKEN is not set: the REST channel would accept anyone")
        self.token = token

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(os.environ.get("RASA_TOKEN", ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = super().blueprint(on_new_message)

        @bp.on_request
        async def require_token(request: Request):
            given = request.args.get("token") or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return bp
