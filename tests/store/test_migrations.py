"""Migration 0002 moves what 0001 kept inside an inbox payload (channel, ts, text) into the new
columns, so deliveries recorded before an upgrade are still answered, edited and erased."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.conversations.values import IncomingMessage
from bot.migrate import alembic_config, head_revision, upgrade_to_head
from bot.store.schema import SCHEMA_HEAD, database_revision


def test_an_inbox_row_written_before_0002_keeps_its_message(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    command.upgrade(alembic_config(url), "0001")
    old_payload = {
        "event_id": "Ev1",
        "team_id": "T0001",
        "enterprise_id": None,
        "channel_id": "C0001",
        "is_dm": False,
        "user_id": "U0USER",
        "text": "what is 1+1?",
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000100",
        "mentioned": True,
        "files": [],
        "user_team_id": None,
    }
    sync = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with sync.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inbox (event_id, team_id, kind, payload, status, attempts, "
                "created_at, updated_at) VALUES ('Ev1', 'T0001', 'message', :payload, "
                "'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"payload": json.dumps(old_payload)},
        )

    upgrade_to_head(url)

    with sync.connect() as connection:
        row = connection.execute(
            text("SELECT channel_id, message_ts, text, payload FROM inbox")
        ).one()
    sync.dispose()
    assert (row.channel_id, row.message_ts, row.text) == (
        "C0001",
        "1700000000.000100",
        "what is 1+1?",
    )
    assert "1+1" not in row.payload
    assert IncomingMessage.from_payload(row.payload, row.text).text == "what is 1+1?"


async def test_the_schema_head_the_server_expects_is_alembics_and_is_read_without_it(
    tmp_path: Path,
) -> None:
    assert head_revision() == SCHEMA_HEAD, "a new migration: set SCHEMA_HEAD in bot/store/schema.py"
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    engine = create_async_engine(url)
    try:
        assert await database_revision(engine) is None  # nothing applied yet
        # Alembic runs its own event loop (migrations/env.py): in a thread, beside this one.
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0001")
        assert await database_revision(engine) == "0001"
        await asyncio.to_thread(upgrade_to_head, url)
        assert await database_revision(engine) == SCHEMA_HEAD
    finally:
        await engine.dispose()
