"""How late the event loop runs what is due: the measure of a saturated process.

A task asks to wake every ``interval`` and notes how late it woke; the lag is a moving average
of that. While it is above ``limit``, the loop is too busy to take on more answering work
without making Slack's acknowledgements wait, so new work waits (durably) for a quieter moment.
"""

from __future__ import annotations

import asyncio
import time

from bot.background import OwnedTask


class LoopLag:
    def __init__(self, *, interval: float = 0.025, limit: float = 0.02, smoothing: float = 0.3):
        self._interval = interval
        self._limit = limit
        self._smoothing = smoothing
        self.lag = 0.0
        self.ticks = 0
        """How many times the watcher woke: a clock of the loop's own pace."""
        self._task = OwnedTask("loop-lag")

    @property
    def saturated(self) -> bool:
        return self.lag > self._limit

    def start(self) -> None:
        self._task.start(self._watch)

    async def stop(self) -> None:
        await self._task.stop()

    async def _watch(self) -> None:
        while True:
            due = time.monotonic() + self._interval
            await asyncio.sleep(self._interval)
            late = max(0.0, time.monotonic() - due)
            self.lag += self._smoothing * (late - self.lag)
            self.ticks += 1
