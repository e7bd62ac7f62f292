"""`python -m bot`: the gateway (web chat + Telegram when configured)."""
from __future__ import annotations

import asyncio
import logging

from bot.app import run
from hotich.config import load_settings


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Library loggers at INFO would print request details; our own logs carry ids and lengths only.
    for noisy in ("aiohttp.access", "httpx"):   # httpx would log Bot API URLs (they carry the token)
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
