"""Insert-if-absent and insert-or-update for both backends, so uniqueness is enforced by the
database alone. The only module that knows PostgreSQL and SQLite spell ``ON CONFLICT`` with
different dialect constructs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Base, core_table

_Row = TypeVar("_Row", bound=Base)


def _insert(
    session: AsyncSession, model: type[Base], *, orm: bool = False
) -> postgresql.Insert | sqlite.Insert:
    """A Core insert into the model's table (cheaper: no ORM bulk-insert machinery), or with
    ``orm`` an ORM-enabled one, for a statement that returns the row as an object."""
    target = model if orm else core_table(model)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[Base], values: dict[str, Any]
) -> int | None:
    """Insert a row; return its id, or None when a unique constraint says it already exists."""
    statement = (
        _insert(session, model)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(model.__table__.c.id)
    )
    result = await session.execute(statement)
    row = result.first()
    return None if row is None else int(row[0])


async def insert_returning_row(
    session: AsyncSession, model: type[_Row], values: dict[str, Any]
) -> _Row | None:
    """Insert a row and return it as an ORM object (what the database filled in included),
    or None when a unique constraint says it already exists: one statement, no read back."""
    statement = _insert(session, model, orm=True).values(**values).on_conflict_do_nothing()
    return await session.scalar(statement.returning(model))


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
    statement = _insert(session, model).on_conflict_do_nothing()
    if not returning:
        await session.execute(statement, list(rows))
        return []
    table = model.__table__
    result = await session.execute(
        statement.returning(*(table.c[name] for name in returning)), list(rows)
    )
    return [tuple(row) for row in result.all()]


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
    statement = _insert(session, model).values(**values)
    changes: dict[str, Any] = {name: statement.excluded[name] for name in update_columns}
    if "updated_at" in model.__table__.c:
        changes["updated_at"] = func.now()
    await session.execute(
        statement.on_conflict_do_update(index_elements=list(conflict_columns), set_=changes)
    )
