"""A byte-weighted async semaphore: attachment downloads wait for room instead of letting a
burst of large images grow the process's memory without bound."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

MIB = 1024 * 1024


class ByteBudget:
    """At most ``capacity`` bytes held at once. Waiters are served first come, first served, so
    a large request is not starved by a stream of small ones behind it."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._in_use = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        """How many holders are waiting for room."""
        return len(self._waiters)

    @asynccontextmanager
    async def hold(self, nbytes: int) -> AsyncIterator[None]:
        """Hold ``nbytes`` (at most ``capacity``) for the ``async with`` block, waiting for room."""
        if not 0 <= nbytes <= self.capacity:
            raise ValueError(f"cannot hold {nbytes} bytes of {self.capacity}")
        await self._acquire(nbytes)
        try:
            yield
        finally:
            self._release(nbytes)

    async def _acquire(self, nbytes: int) -> None:
        if nbytes == 0 or (not self._waiters and self._in_use + nbytes <= self.capacity):
            self._in_use += nbytes
            return
        entry = (nbytes, asyncio.get_running_loop().create_future())
        self._waiters.append(entry)
        try:
            await entry[1]
        except BaseException:
            if entry[1].done() and not entry[1].cancelled():
                self._release(nbytes)  # room was granted just as the wait was cancelled
            else:
                entry[1].cancel()
                if entry in self._waiters:
                    self._waiters.remove(entry)
                self._wake()  # whoever queued behind may fit now
            raise

    def _release(self, nbytes: int) -> None:
        self._in_use -= nbytes
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            nbytes, granted = self._waiters[0]
            if granted.cancelled():  # its task was cancelled and has not run its cleanup yet
                self._waiters.popleft()
                continue
            if self._in_use + nbytes > self.capacity:
                return
            self._waiters.popleft()
            self._in_use += nbytes
            granted.set_result(None)
