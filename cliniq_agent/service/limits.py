"""Bounded concurrency with a bounded queue, per-request deadlines, and the request size cap.

A worker process runs at most ``max_concurrency`` documents at once (in a thread pool, so the event loop
keeps answering health checks and metrics); up to ``queue_size`` more requests wait for a slot, and the
next one is turned away at once (503 + Retry-After) instead of piling up memory and latency. A document
whose thread overruns its deadline gets its 504 on time, but keeps its slot until the thread has really
finished: the bound holds even when the engine is slow to notice its time budget.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")

from cliniq_agent.service.errors import Overloaded, PayloadTooLarge, RequestTimeout

HARD_TIMEOUT_GRACE_S = 2.0  # the engine checks its budget between steps; past this we answer 504 anyway


class Deadline:
    """When a request must be answered by: starts at arrival, so time spent queued counts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired_error(self) -> RequestTimeout:
        return RequestTimeout(f"processing stopped after the {self.seconds:g} s time budget; "
                              "split the document or ask for a longer timeout")


class AdmissionGate:
    """Slots for running documents plus a bounded waiting line; counts feed the queue-depth metric."""

    def __init__(self, max_concurrency: int, queue_size: int, retry_after_s: int,
                 on_change: Callable[[int, int], None] = lambda waiting, running: None) -> None:
        self.on_change = on_change  # (waiting, running) after every change: the queue-depth gauges
        self.max_concurrency = max_concurrency
        self.capacity = max_concurrency + queue_size
        self.retry_after_s = retry_after_s
        self.admitted = 0  # running + waiting
        self.running = 0
        self._slots = asyncio.Semaphore(max_concurrency)
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="cliniq-service")

    @property
    def waiting(self) -> int:
        return self.admitted - self.running

    def overloaded_error(self) -> Overloaded:
        return Overloaded(f"the server is busy ({self.max_concurrency} running, {self.waiting} waiting); "
                          f"retry after {self.retry_after_s} s", headers={"Retry-After": str(self.retry_after_s)})

    @asynccontextmanager
    async def slot(self, deadline: Deadline) -> AsyncIterator[Slot]:
        """Hold one slot for the body (503 at once when the line is full, 504 when the wait overruns)."""
        if self.admitted >= self.capacity:
            raise self.overloaded_error()
        self.admitted += 1
        self.on_change(self.waiting, self.running)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=max(deadline.remaining(), 0.001))
        except (asyncio.TimeoutError, asyncio.CancelledError) as err:
            self.admitted -= 1
            self.on_change(self.waiting, self.running)
            if isinstance(err, asyncio.CancelledError):
                raise
            raise deadline.expired_error() from None
        self.running += 1
        self.on_change(self.waiting, self.running)
        held = Slot(self._pool)
        try:
            yield held
        finally:
            held.release_when_idle(self._release)

    def _release(self) -> None:
        self.running -= 1
        self.admitted -= 1
        self._slots.release()
        self.on_change(self.waiting, self.running)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Slot:
    """One admitted request's right to run work in the pool, one call at a time."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._pending: asyncio.Future[Any] | None = None

    async def run(self, work: Callable[[], T], deadline: Deadline) -> T:
        """Run ``work`` in the pool; 504 when it outlives the deadline (the thread finishes on its own)."""
        if deadline.remaining() <= 0:
            raise deadline.expired_error()
        self._pending = asyncio.get_running_loop().run_in_executor(self._pool, work)
        try:
            return await asyncio.wait_for(asyncio.shield(self._pending),
                                          timeout=deadline.remaining() + HARD_TIMEOUT_GRACE_S)
        except asyncio.TimeoutError:
            raise deadline.expired_error() from None

    def release_when_idle(self, release: Callable[[], None]) -> None:
        if self._pending is None or self._pending.done():
            release()
        else:
            self._pending.add_done_callback(lambda _: release())


class BodySizeLimit:
    """ASGI middleware: refuse a body over its path's cap (413), by Content-Length or while it streams in."""

    def __init__(self, app: Any, limit_for_path: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for_path = limit_for_path

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for_path(scope["path"])
        too_large = PayloadTooLarge(f"request body is over the {_size(limit)} limit of {scope['path']}")
        declared = dict(scope["headers"]).get(b"content-length")
        declared_too_large = declared is not None and declared.isdigit() and int(declared) > limit
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            if declared_too_large:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large
            return message

        await self.app(scope, limited_receive, send)


def _size(limit: int) -> str:
    return f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit} bytes"
