"""SQLite has one writer at a time. Left to SQLite, writers queue by polling the file lock
(``busy_timeout`` sleeps up to 100 ms between tries), in no order, so a burst of answers can
keep Slack's acknowledgement waiting for seconds. The gate queues the process's write
transactions in asyncio instead: each starts as soon as the one before ends, and intake (a
delivery Slack is waiting on) goes before answering work. PostgreSQL needs no gate."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

INTAKE = 0
"""Priority of the transaction that records a delivery before Slack is acknowledged."""
WORK = 1


class WriteGate:
    """A lock granted in priority order, then first come, first served."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def hold(self, priority: int) -> AsyncIterator[None]:
        if self._held or self._waiters:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._pass_on()  # it was our turn: give it to the next one
                raise
        self._held = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        while self._waiters:
            _, _, turn = heapq.heappop(self._waiters)
            if not turn.done():
                turn.set_result(None)
                return
        self._held = False


class GatedSessions(async_sessionmaker[AsyncSession]):
    """A session factory whose ``begin()`` waits for the gate first (reads through ``()``
    do not)."""

    def __init__(self, engine: Any, gate: WriteGate, priority: int) -> None:
        super().__init__(engine, expire_on_commit=False)
        self._gate = gate
        self._priority = priority

    @asynccontextmanager
    async def _gated(self) -> AsyncIterator[AsyncSession]:
        async with self._gate.hold(self._priority), super().begin() as session:
            yield session

    def begin(self) -> Any:  # an async context manager of a session, like the base class's
        return self._gated()
