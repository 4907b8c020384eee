"""PostgreSQL session-level advisory locks, all held on one pooled connection per process.

A session-level advisory lock belongs to the connection that took it, so the connection is
checked out of the pool while this process holds at least one lock and given back when it holds
none. One connection per process, however many threads stream at once; if the process dies its
connection closes and PostgreSQL frees its locks at once, with no lease to wait out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key (what ``pg_advisory_lock(bigint)`` takes) for a name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._guard = asyncio.Lock()  # one statement at a time on the shared connection
        self._connection: AsyncConnection | None = None
        self._held: set[int] = set()

    async def try_acquire(self, key: int) -> bool:
        async with self._guard:
            if self._connection is None:
                connection = await self._engine.connect()
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            try:
                taken = await self._connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                )
            except DBAPIError:
                await self._drop_broken_connection()
                raise
            if taken:
                self._held.add(key)
            else:
                await self._release_connection_if_idle()
            return bool(taken)

    async def release(self, key: int) -> None:
        async with self._guard:
            if key not in self._held or self._connection is None:
                return
            self._held.discard(key)
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": key}
                )
            except DBAPIError:
                await self._drop_broken_connection()
                raise
            await self._release_connection_if_idle()

    async def _release_connection_if_idle(self) -> None:
        if self._held or self._connection is None:
            return
        connection, self._connection = self._connection, None
        await connection.close()

    async def _drop_broken_connection(self) -> None:
        """A lost connection took its locks with it: say so, and start afresh next time."""
        if self._held:
            log.error(
                "lost the thread-lock connection; %d thread locks were freed", len(self._held)
            )
        self._held.clear()
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()


@contextlib.asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold a cluster-wide lock on ``name`` while the block runs; others wait for it.

    PostgreSQL: a transaction-level advisory lock on a connection of its own, freed when the
    block ends or the process dies. SQLite serves one process: its callers order themselves."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection, connection.begin():
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(name)}
        )
        yield
