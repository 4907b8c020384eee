"""The bot's database traffic, disturbed and watched through SQLAlchemy's cursor events: a
statement made to fail as the driver would fail it, a write that never lands, or the moment a
write happened, awaited instead of polled for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

Matcher = Callable[[str, Any], bool]
"""Is this (statement, parameters) one to act on?"""


def recording_reply_ts(statement: str, parameters: Any) -> bool:
    """The inbox remembering the ts of an answer's messages (``Work.set_reply_ts``)."""
    return statement.startswith("UPDATE inbox SET reply_ts")


def recording_an_opening(statement: str, parameters: Any) -> bool:
    """The inbox remembering that a message of the answer is being opened (its ts not known)."""
    return recording_reply_ts(statement, parameters) and "?" in str(_values(parameters)[0]).split()


def recording_a_later_opening(statement: str, parameters: Any) -> bool:
    """As ``recording_an_opening``, for a message after the answer's first (whose ts it names)."""
    if not recording_an_opening(statement, parameters):
        return False
    return len(str(_values(parameters)[0]).split()) > 1


def storing_assistant_turn(statement: str, parameters: Any) -> bool:
    return statement.startswith("INSERT INTO messages") and "assistant" in _values(parameters)


def anything(statement: str, parameters: Any) -> bool:
    return True


def _values(parameters: Any) -> list[Any]:
    if isinstance(parameters, dict):
        return list(parameters.values())
    return list(parameters or ())


@contextmanager
def failing(
    target: Engine | type[Engine], matches: Matcher, times: int | None = None
) -> Iterator[list[str]]:
    """Make the statements ``matches`` accepts (the first ``times`` of them, or all) fail with
    the driver's own OperationalError, which SQLAlchemy wraps as it wraps a real one (statement
    and, unless the engine hides them, parameters). ``target`` is an engine or ``Engine`` (all
    of them). Yields the statements that failed."""
    failed: list[str] = []

    def fail(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if matches(statement, parameters) and (times is None or len(failed) < times):
            failed.append(statement)
            raise conn.dialect.loaded_dbapi.OperationalError("disk I/O error")

    event.listen(target, "before_cursor_execute", fail)
    try:
        yield failed
    finally:
        event.remove(target, "before_cursor_execute", fail)


@contextmanager
def never_landing(engine: Engine, matches: Matcher) -> Iterator[None]:
    """The first write ``matches`` accepts changes nothing, as if the process had died just
    before it: the statement runs with a condition no row meets."""
    done: list[str] = []

    def spoil(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> tuple[str, Any]:
        if not done and matches(statement, parameters):
            done.append(statement)
            return f"{statement} AND 0 = 1", parameters
        return statement, parameters

    event.listen(engine, "before_cursor_execute", spoil, retval=True)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", spoil)


@contextmanager
def watching(engine: Engine, matches: Matcher) -> Iterator[asyncio.Event]:
    """An event set once a statement ``matches`` accepts has run (its transaction may not have
    committed yet: a write from elsewhere then waits for it)."""
    seen = asyncio.Event()

    def notice(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if matches(statement, parameters):
            seen.set()

    event.listen(engine, "after_cursor_execute", notice)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", notice)
