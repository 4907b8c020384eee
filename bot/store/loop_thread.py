"""An event loop on a thread of its own, for the acknowledgement's transaction.

Under load the main loop is busy with answers, and every round trip of a transaction waits
its turn there. Run on this thread's quiet loop, intake's transaction (two round trips to
PostgreSQL, the thread asleep in between) costs the main loop one wait, for its result. Only
whole transactions cross over; their connections (an engine of their own) never serve the
main loop. Not for SQLite: there a transaction is a dozen hops to the driver's thread, each a
fight for the GIL with the busy main loop (measured: 1,000 deliveries at once took acks from
0.65 s to 2.3 s at p99).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")

Runner = Callable[[Callable[[], Awaitable[R]]], Awaitable[R]]
"""Runs ``work()`` somewhere and returns its result to the caller's loop."""


class LoopThread:
    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def run(self, work: Callable[[], Awaitable[R]]) -> R:
        """``work()`` on this thread's loop, its result (or exception) here; cancelling the
        caller cancels it there."""

        async def call() -> R:
            return await work()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), self._loop))

    async def stop(self) -> None:
        """Stop the loop once what runs there has ended, and wait for the thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
