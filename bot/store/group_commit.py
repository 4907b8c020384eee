"""Group commit: small writes that arrive together share one transaction.

A burst of deliveries would otherwise queue for one transaction (and one fsync) each; here,
while a batch is being written, the items that arrive meanwhile wait and then go in the next
batch, together, written by one function that can use multi-row statements. No timer: a lone
item is written at once. If a batch fails, each of its items is tried again alone, so one bad
item never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
R = TypeVar("R")

WriteBatch = Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R]]]
"""Writes the items in the session and returns one result per item, in order."""


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write: WriteBatch[T, R],
        *,
        max_items: int = 500,
    ) -> None:
        """Used from one event loop (the first caller's); ``sessions`` must be usable there."""
        self._sessions = sessions
        self._write_batch = write
        self._max_items = max_items
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, item: T) -> R:
        """Write ``item`` (in a transaction shared with others); its result once committed."""
        result: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, result))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="group-commit")
        # Shielded: a caller that goes away (the request was dropped) does not undo the write.
        return await asyncio.shield(result)

    async def _write_all(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_items]
            del self._queue[: self._max_items]
            try:
                results = await self._write([item for item, _ in batch])
            except Exception:
                for item, result in batch:
                    await self._write_alone(item, result)
                continue
            for (_, result), value in zip(batch, results, strict=True):
                if not result.done():
                    result.set_result(value)

    async def _write(self, items: Sequence[T]) -> Sequence[R]:
        async with self._sessions.begin() as session:
            return await self._write_batch(session, items)

    async def _write_alone(self, item: T, result: asyncio.Future[R]) -> None:
        try:
            [value] = await self._write([item])
        except Exception as exc:
            if not result.done():
                result.set_exception(exc)
        else:
            if not result.done():
                result.set_result(value)
