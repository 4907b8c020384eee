"""Insert-if-absent for both backends, so uniqueness is enforced by the database alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Base


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[Base], values: dict[str, Any]
) -> int | None:
    """Insert a row; return its id, or None when a unique constraint says it already exists."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model).values(**values).on_conflict_do_nothing().returning(model.__table__.c.id)
    )
    result = await session.execute(statement)
    row = result.first()
    return None if row is None else int(row[0])
