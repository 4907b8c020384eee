"""Engine and session factory, built at start-up and passed to whoever needs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.store.sqlite_driver import OneTripDBAPI
from bot.store.write_gate import WORK, GatedSessions, WriteGate

# Execution option marking a connection whose transaction only reads (see _sqlite_begin).
_READ_ONLY_OPTION = "bot_read_only"
_READ_ONLY = {_READ_ONLY_OPTION: True}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine tuned for the backend: SQLite gets WAL and a busy timeout so concurrent answers
    never see "database is locked", and one trip to the driver's thread per statement
    (``sqlite_driver``); PostgreSQL gets a pool sized for many streaming answers.

    Statement parameters are kept out of exception messages (``hide_parameters``): they hold
    what people wrote (inbox payloads, turns), and exceptions reach logs and stored errors."""
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        # One writer at a time whatever the pool size, but many answers read and wait at once:
        # a pool too small for WORKER_CONCURRENCY times out under load instead of queueing.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 80)
        kwargs.setdefault("pool_timeout", 120)
        engine = create_async_engine(
            url, module=OneTripDBAPI(), connect_args={"timeout": 30}, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_intake_engine(url: str) -> AsyncEngine:
    """Connections of intake's own, so an acknowledgement never waits for one that answering
    work holds. On PostgreSQL each statement commits by itself (autocommit) and connections
    are not pinged: a batch of arrivals is then two round trips (conversations, inbox rows)
    instead of five (ping, BEGIN, both, COMMIT), each waiting its turn on a busy event loop.
    The inbox insert is the delivery's commit point, as before: an arrival is acknowledged
    only after it returned; a conversation row recorded without its inbox row (the insert
    failed) is what Slack's retry of the delivery would record anyway. SQLite keeps one
    transaction (one fsync) per batch."""
    if is_sqlite(url):
        return create_engine(url, pool_size=4, max_overflow=4)
    return create_engine(
        url, pool_size=4, max_overflow=4, pool_pre_ping=False, isolation_level="AUTOCOMMIT"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Slack is acknowledged once the inbox row is committed, so a commit must survive an OS
    # crash or power loss: under WAL, NORMAL syncs only at checkpoints and can lose the last
    # commits; FULL syncs the WAL at every commit. One fsync per write transaction is affordable
    # for the single process SQLite serves (replicas use PostgreSQL), and FULL for every
    # connection keeps one rule instead of a per-write switch someone forgets.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Writers take the write lock at BEGIN: a deferred transaction that reads and then writes
    can fail at once with SQLITE_BUSY when another writer got in between; an immediate one
    waits. Read-only work (``read_only``/``read_only_session``) begins deferred: under WAL a
    reader never needs the write lock, so it neither waits for a writer nor blocks one."""
    if connection.get_execution_options().get(_READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(
    engine: AsyncEngine, gate: WriteGate | None = None, priority: int = WORK
) -> async_sessionmaker[AsyncSession]:
    """Sessions of ``engine``; with a ``gate`` (SQLite), write transactions queue there."""
    if gate is not None:
        return GatedSessions(engine, gate, priority)
    return async_sessionmaker(engine, expire_on_commit=False)


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for connections that only read (they never take the write
    lock on SQLite; on PostgreSQL nothing changes). Writing through it is a bug."""
    return engine.execution_options(**_READ_ONLY)


@asynccontextmanager
async def read_only_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session from ``sessions`` for work that only reads (see ``read_only``)."""
    async with sessions() as session:
        await session.connection(execution_options=_READ_ONLY)
        yield session
