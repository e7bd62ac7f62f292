"""Hostile bytes are parsed in a separate process with a memory ceiling.

Decoding an image or parsing a PDF sent by anyone on the internet is the riskiest thing the
gateway does: a crafted file can make the decoder allocate gigabytes or spin for seconds. In a
worker process with RLIMIT_AS the worst case is a MemoryError (or a dead worker) and a refusal,
never a gateway that stops answering chats: the caller only waits on a future.

Workers are started with "spawn" (a fork of the threaded gateway could inherit held locks).
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import threading
from typing import Any, Callable

MEMORY_LIMIT = 768 * 1024 * 1024     # a 40 MP photo decodes to 120 MB (RGB); room for re-encoding
TIMEOUT_S = 60.0
WORKERS = 1                          # the box has 2 cores, shared with Rasa and the actions server


class SandboxFailed(RuntimeError):
    """The worker ran out of memory, crashed or took too long."""


def _limit_memory(limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Sandbox:
    def __init__(self, workers: int = WORKERS, memory_limit: int = MEMORY_LIMIT, timeout_s: float = TIMEOUT_S) -> None:
        self.workers = workers
        self.memory_limit = memory_limit
        self.timeout_s = timeout_s
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_limit_memory, initargs=(self.memory_limit,))
            return self._pool

    def _discard(self, pool: cf.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in list(getattr(pool, "_processes", {}).values()):   # a worker stuck on a bomb
            proc.kill()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in a worker (blocking: call from a thread). MemoryError inside → SandboxFailed."""
        pool = self._executor()
        try:
            return pool.submit(fn, *args).result(timeout=self.timeout_s)
        except MemoryError as exc:
            raise SandboxFailed("out of memory") from exc
        except cf.TimeoutError as exc:
            self._discard(pool)
            raise SandboxFailed("timeout") from exc
        except cf.process.BrokenProcessPool as exc:
            self._discard(pool)
            raise SandboxFailed("worker died") from exc

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process's shared sandbox (the gateway is the only process that sees file bytes)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default
