"""The life cycle shared by the gateway's background jobs (delivery, outbox retries, reminders,
uploads, channel housekeeping).

A job subclasses BackgroundJob, implements `_run()` (its loop) and gets start/stop: start is
idempotent, stop cancels the loop and waits for it, so a shutdown never leaves a job half-way.
bot/app.py registers every job's `cleanup_ctx` on the gateway's aiohttp application, so they
all start with it and stop (in reverse order) when it is cleaned up.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator


class BackgroundJob:
    job_name = "background-job"
    _task: asyncio.Task | None = None

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> asyncio.Task:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.job_name)
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def cleanup_ctx(self, _app) -> AsyncIterator[None]:
        """For aiohttp's `app.cleanup_ctx`: runs while the gateway's web application runs."""
        self.start()
        yield
        await self.stop()
