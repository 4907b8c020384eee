"""Per-thread ordering across replicas sharing PostgreSQL.

Inside the process the in-process :class:`ThreadLocks` queue a thread's turns first-in first-out;
the one at the head then takes the thread's advisory lock, which keeps every other replica out
of the thread until the answer is stored. Waiting for another replica polls the lock with a
short backoff, because all of this process's locks share one connection that must not block.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.locks import ThreadLocks
from bot.conversations.values import ThreadKey
from bot.store.advisory import AdvisoryLocks, advisory_key

FIRST_POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.25


def thread_lock_key(key: ThreadKey) -> int:
    return advisory_key(f"thread:{key.team_id}:{key.channel_id}:{key.thread_ts}")


class SharedThreadLocks(ThreadLocks):
    """Thread locks that also hold across processes, through PostgreSQL advisory locks."""

    def __init__(self, advisory: AdvisoryLocks) -> None:
        super().__init__()
        self._advisory = advisory

    @asynccontextmanager
    async def hold(self, key: ThreadKey) -> AsyncIterator[None]:
        async with super().hold(key):
            lock_key = thread_lock_key(key)
            wait = FIRST_POLL_SECONDS
            while not await self._advisory.try_acquire(lock_key):
                await asyncio.sleep(wait)  # another replica answers in this thread
                wait = min(wait * 2, MAX_POLL_SECONDS)
            try:
                yield
            finally:
                # Shielded: a cancelled answer (a lost lease, shutdown) must still unlock the
                # thread, or this process's lock connection would keep every replica out of it.
                await asyncio.shield(self._advisory.release(lock_key))


def thread_locks_for(engine: AsyncEngine) -> ThreadLocks:
    """Locks that hold across replicas on PostgreSQL; in-process ones for single-process SQLite."""
    if engine.dialect.name == "postgresql":
        return SharedThreadLocks(AdvisoryLocks(engine))
    return ThreadLocks()
