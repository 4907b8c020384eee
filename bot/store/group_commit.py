"""Group commit: small write transactions that arrive together share one commit.

A burst of deliveries would otherwise queue for one commit (and one fsync) each; here, while a
transaction is being written, the units that arrive meanwhile wait and then go in the next one,
together. No timer: a lone unit is written at once. If a shared transaction fails, each of its
units is tried again alone, so one bad unit never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
Unit = Callable[[AsyncSession], Awaitable[T]]


class _Pending(Generic[T]):
    def __init__(self, unit: Unit[T]) -> None:
        self.unit = unit
        self.result: asyncio.Future[T] = asyncio.get_running_loop().create_future()


class GroupCommit:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_units: int = 200) -> None:
        self._sessions = sessions
        self._max_units = max_units
        self._queue: list[_Pending[Any]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a transaction (shared with others); its result once committed."""
        pending = _Pending(unit)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="group-commit")
        return await asyncio.shield(pending.result)

    async def _write_all(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_units]
            del self._queue[: self._max_units]
            try:
                results = await self._write(batch)
            except Exception:
                await asyncio.gather(*(self._write_alone(p) for p in batch))
                continue
            for pending, result in zip(batch, results, strict=True):
                _settle(pending.result, result)

    async def _write(self, batch: list[_Pending[Any]]) -> list[Any]:
        async with self._sessions.begin() as session:
            return [await pending.unit(session) for pending in batch]

    async def _write_alone(self, pending: _Pending[Any]) -> None:
        try:
            [result] = await self._write([pending])
        except Exception as exc:
            if not pending.result.done():
                pending.result.set_exception(exc)
        else:
            _settle(pending.result, result)


def _settle(future: asyncio.Future[T], result: T) -> None:
    if not future.done():
        future.set_result(result)
