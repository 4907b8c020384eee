"""Another process's write transaction on a SQLite database, held open for a test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def write_lock_held(sqlite_url: str) -> Iterator[None]:
    """A connection inside ``BEGIN IMMEDIATE`` (SQLite's one write lock) until the block ends."""
    writer = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")  # as the bot's engine leaves the database
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM channel_settings")
    try:
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()
