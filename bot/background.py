"""The life cycle shared by the gateway's background jobs (outbox retries, reminders, uploads).

A job subclasses BackgroundJob, implements `_run()` (its loop) and gets start/stop: start is
idempotent, stop cancels the loop and waits for it, so a shutdown never leaves a job half-way.
"""
from __future__ import annotations

import asyncio


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
