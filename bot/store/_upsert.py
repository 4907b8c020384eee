"""Insert-if-absent and insert-or-update for both backends, so uniqueness is enforced by the
database alone. The only module that knows PostgreSQL and SQLite spell ``ON CONFLICT`` with
different dialect constructs."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Executable, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Base, core_table

_Row = TypeVar("_Row", bound=Base)


def _insert(dialect: str, target: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(target)


@functools.cache
def _ignoring_conflict(
    dialect: str, model: type[Base], returning: tuple[str, ...] = (), *, orm: bool = False
) -> Executable:
    """``INSERT … ON CONFLICT DO NOTHING [RETURNING …]`` into the model's table, built once
    per dialect: the values go as parameters, so a call builds no statement and its cache
    key is the one SQLAlchemy already has (building one cost more than running it)."""
    statement = _insert(dialect, model if orm else core_table(model)).on_conflict_do_nothing()
    if orm:
        return statement.returning(model)
    table = model.__table__
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[Base], values: dict[str, Any]
) -> int | None:
    """Insert a row; return its id, or None when a unique constraint says it already exists."""
    result = await session.execute(_ignoring_conflict(_dialect(session), model, ("id",)), values)
    row = result.first()
    return None if row is None else int(row[0])


async def insert_returning_row(
    session: AsyncSession, model: type[_Row], values: dict[str, Any]
) -> _Row | None:
    """Insert a row and return it as an ORM object (what the database filled in included),
    or None when a unique constraint says it already exists: one statement, no read back."""
    statement = _ignoring_conflict(_dialect(session), model, orm=True)
    row = await session.scalar(statement, [values])
    return cast("_Row | None", row)


async def insert_many_ignoring_conflict(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows in one statement, skipping those a unique constraint says exist; the
    ``returning`` columns of the rows inserted (in no particular order).

    The rows go as parameters of one cached statement (a statement built with the rows in its
    VALUES would be compiled again for every call): with ``returning``, SQLAlchemy sends it as
    a single multi-row INSERT ("insertmanyvalues"); without, as the driver's executemany."""
    if not rows:
        return []
    statement = _ignoring_conflict(_dialect(session), model, tuple(returning))
    result = await session.execute(statement, list(rows))
    return [tuple(row) for row in result.all()] if returning else []


async def upsert(
    session: AsyncSession,
    model: type[Base],
    values: Mapping[str, Any],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert a row, or, when one with the same ``conflict_columns`` exists, overwrite its
    ``update_columns`` with the new values. ``updated_at`` is set too when the table has it:
    ``ON CONFLICT DO UPDATE`` never runs a column's ``onupdate``."""
    statement = _insert(_dialect(session), core_table(model)).values(**values)
    changes: dict[str, Any] = {name: statement.excluded[name] for name in update_columns}
    if "updated_at" in model.__table__.c:
        changes["updated_at"] = func.now()
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(conflict_columns), set_=changes)
    )
