"""Event loops on threads of their own, and handing work between loops.

Under load the main loop is busy with answers, and every step of a request waits its turn
there. On PostgreSQL the HTTP front (``bot.app``) runs on a loop of its own, with intake's
transactions (two round trips, the thread asleep in between; an engine of its own whose
connections never serve the main loop), so reading, verifying, recording and acknowledging
a delivery waits for no answer: only the GIL is shared. Not for SQLite: there a transaction
is a dozen hops to the driver's thread, each a fight for the GIL with the busy main loop
(measured: 1,000 deliveries at once took acks from 0.65 s to 2.3 s at p99), so SQLite's
intake and HTTP server stay on the main loop, behind its write gate.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")

Runner = Callable[[Callable[[], Awaitable[R]]], Awaitable[R]]
"""Runs ``work()`` somewhere and returns its result to the caller's loop."""


class LoopRunner:
    """Runs work on ``loop``, from any loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    async def run(self, work: Callable[[], Awaitable[R]]) -> R:
        """``work()`` on this loop, its result (or exception) on the caller's; cancelling the
        caller cancels it there. Called on this loop itself, it simply runs."""
        if asyncio.get_running_loop() is self.loop:
            return await work()

        async def call() -> R:
            return await work()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), self.loop))

    def call(self, callback: Callable[[], object]) -> None:
        """``callback()`` on this loop: at once when called there, soon from any other."""
        if asyncio.get_running_loop() is self.loop:
            callback()
        else:
            self.loop.call_soon_threadsafe(callback)


class LoopThread(LoopRunner):
    def __init__(self, name: str) -> None:
        super().__init__(asyncio.new_event_loop())
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        """Stop the loop once what runs there has ended, and wait for the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join)
        self.loop.close()
