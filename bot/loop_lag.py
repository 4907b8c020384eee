"""How late the event loop runs what is due: the measure of a saturated process.

A task asks to wake every ``interval`` and notes how late it woke; the lag is a moving average
of that. While it is above ``limit``, the loop is too busy to take on more answering work
without making Slack's acknowledgements wait, so new work waits (durably) for a quieter moment.

The watcher runs only while ``busy`` says there is work: an idle loop has no lag to measure,
and forty wake-ups a second cost an idle process about 1% of a core (measured: idle bot CPU
1.0% → 0.1%). Whoever is about to start work calls ``wake`` first (from any thread).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.background import OwnedTask


def _always() -> bool:
    return True


class LoopLag:
    def __init__(self, *, interval: float = 0.025, limit: float = 0.02, smoothing: float = 0.3):
        self._interval = interval
        self._limit = limit
        self._smoothing = smoothing
        self.lag = 0.0
        self.ticks = 0
        """How many times the watcher woke, and once more as each quiet spell begins: a clock
        of the loop's own pace."""
        self._task = OwnedTask("loop-lag")
        self._busy: Callable[[], bool] = _always
        self._loop: asyncio.AbstractEventLoop | None = None
        self._awake = asyncio.Event()
        self.sleeping = False
        """Waiting for ``wake``, with nothing to watch."""

    @property
    def saturated(self) -> bool:
        return self.lag > self._limit

    def start(self, busy: Callable[[], bool] = _always) -> None:
        """Watch on the running loop while ``busy()`` holds."""
        self._busy = busy
        self._loop = asyncio.get_running_loop()
        self._task.start(self._watch)

    async def stop(self) -> None:
        await self._task.stop()
        self._loop = None  # a wake after this has nothing to resume

    def wake(self) -> None:
        """Work is about to start: watch again if the watcher sleeps. Cheap when it does not."""
        loop = self._loop
        if self.sleeping and loop is not None:
            self.sleeping = False
            loop.call_soon_threadsafe(self._awake.set)

    async def _watch(self) -> None:
        while True:
            if not self._busy():
                await self._rest()
            due = time.monotonic() + self._interval
            await asyncio.sleep(self._interval)
            late = max(0.0, time.monotonic() - due)
            self.lag += self._smoothing * (late - self.lag)
            self.ticks += 1

    async def _rest(self) -> None:
        """Sleep until ``wake``, unless work came meanwhile. ``sleeping`` is set before
        ``busy`` is asked again, so work that ``busy`` misses finds it set and wakes this."""
        self._awake.clear()
        self.sleeping = True
        try:
            if not self._busy():
                self.lag = 0.0
                self.ticks += 1  # what starts after a quiet spell starts in a tick of its own
                await self._awake.wait()
        finally:
            self.sleeping = False
