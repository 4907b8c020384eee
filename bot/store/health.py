"""Is the database there? Asked by ``python -m bot check`` (and meant for readiness probes)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import read_only


async def database_unreachable_reason(engine: AsyncEngine) -> str | None:
    """None when a trivial query succeeds; otherwise why not (the error's class name, which
    names the problem without echoing a URL that may hold a password)."""
    try:
        async with read_only(engine).connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error means "not reachable"
        return type(exc).__name__
    return None
