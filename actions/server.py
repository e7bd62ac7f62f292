"""The actions server, closed: `python -m actions.server [--port 5055]`.

rasa-sdk's own server (`python -m rasa_sdk`) listens on every interface and runs any action for
any sender id in the request body. This one listens on ACTIONS_HOST (default 127.0.0.1) and
refuses every call without the shared secret ACTIONS_TOKEN, which Rasa sends as `?token=`
(`token:` of the action endpoint in endpoints.yml). /health stays open for health checks.
Refuses to start without ACTIONS_TOKEN. Actions run in worker threads (ThreadedExecutor);
ACTIONS_WORKERS > 1 starts that many server processes on the same port.
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import sys
from functools import partial

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.worker.loader import AppLoader

log = logging.getLogger("actions.server")

OPEN_PATHS = frozenset({"/health"})


def require_token(app: Sanic, token: str) -> Sanic:
    expected = token.encode()

    @app.on_request
    async def check(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = (request.args.get("token") or "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    return app


class ThreadedExecutor(ActionExecutor):
    """Each action call on its own event loop in a worker thread.

    The actions are `async def` but query the commune DB synchronously (SQLAlchemy; on SQLite a
    writer may wait seconds for a lock): on the server's loop one such call would hold every other
    resident's action. Streaming calls (a sink bound to the server's loop) stay on the loop.
    """

    async def run(self, action_call, sink=None, dispatcher=None):
        if sink is not None or dispatcher is not None:
            return await super().run(action_call, sink, dispatcher)
        return await asyncio.to_thread(asyncio.run, super().run(action_call))


def build_app(token: str, actions_package: str = "actions") -> Sanic:
    """Module level, so Sanic's loader can build the same app in every worker process."""
    executor = ThreadedExecutor()
    executor.register_package(actions_package)
    return require_token(create_app_for_serve(executor, cors_origins=[]), token)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    ap.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    ap.add_argument("--workers", type=int, default=int(os.environ.get("ACTIONS_WORKERS", "1")))
    args = ap.parse_args(argv)
    token = os.environ.get("ACTIONS_TOKEN", "")
    if not token:
        print("ACTIONS_TOKEN is not set: the actions server would run actions for anyone", file=sys.stderr)
        return 2
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    loader = AppLoader(factory=partial(build_app, token))
    app = loader.load()
    log.info("actions server on http://%s:%d (%d worker(s))", args.host, args.port, args.workers)
    if args.workers == 1:
        # One process: Sanic's worker manager would add a manager, a helper and a worker process,
        # each importing the actions (≈170 MB more resident memory for nothing).
        app.prepare(host=args.host, port=args.port, single_process=True, access_log=False)
        Sanic.serve_single(primary=app)
    else:
        app.prepare(host=args.host, port=args.port, workers=args.workers, access_log=False)
        Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    sys.exit(main())
