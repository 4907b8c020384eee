"""SQLAlchemy's aiosqlite adapter with one trip to the driver's thread per statement.

aiosqlite runs every call on a thread of its own and hands the result back to the event loop.
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch the
rows, close the cursor), each a queue hand-off, a thread wake-up and a loop wake-up; at 10
answers/s they were a fifth of the bot's CPU. The cursor here does the four in one call on
that thread. Rows are fetched whole, as the adapter does for its client-side cursors;
server-side cursors stay the adapter's own.

It queues work on aiosqlite's thread through ``Connection._execute``, the one entry point
every aiosqlite method goes through (SQLAlchemy's own adapter queues its isolation-level
change on that thread directly, too). The lock file pins both libraries; the test suite runs
every statement of the bot through this cursor.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Ran = tuple[Any, int, int | None, list[Any]]
"""What a statement left on its cursor: description, rowcount, lastrowid, rows."""


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No driver cursor is opened here: each statement opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return cast(int, self._lastrowid)

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(lambda conn: conn.execute(operation, parameters or ()))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(lambda conn: conn.executemany(operation, seq_of_parameters))

    async def _run(self, execute: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> None:
        def on_driver_thread(conn: sqlite3.Connection) -> _Ran:
            cursor = execute(conn)
            try:
                described = cursor.description
                rows = cursor.fetchall() if described else []
                return described, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        driver = cast(aiosqlite.Connection, self._connection)
        on_thread = cast(Callable[..., Awaitable[_Ran]], driver._execute)
        async with self._adapt_connection._execute_mutex:
            ran = await on_thread(on_driver_thread, driver._conn)
        self._description, self._rowcount, self._lastrowid, rows = ran
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor closed with its statement."""

    def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module for ``create_async_engine(..., module=OneTripDBAPI())``."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """The adapter's connect, but a connection that failed to open has stopped its
        driver thread when the error is raised. aiosqlite only queues that stop; a thread
        still stopping when the event loop closes (``python -m bot check`` exits at once when
        the database is unreachable) dies with a "loop is closed" traceback."""
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter sets it
        try:
            opened: Any = await_(connection)  # SQLAlchemy types it as its DBAPI protocol
        except BaseException:
            await_(asyncio.to_thread(connection._thread.join))
            raise
        return _OneTripConnection(self, opened)
