"""Per-thread ordering: turns in one thread are answered one at a time, in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.conversations.values import ThreadKey


class ThreadLocks:
    """In-process locks, one per active thread, dropped when nobody holds or waits for them.

    ``asyncio.Lock`` wakes waiters first-in first-out, so two messages of one thread are
    answered in the order their deliveries arrived, the second seeing the first's answer.
    """

    def __init__(self) -> None:
        self._locks: dict[ThreadKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: ThreadKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
