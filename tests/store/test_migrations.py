"""Migration 0002 moves what 0001 kept inside an inbox payload (channel, ts, text) into the new
columns, so deliveries recorded before an upgrade are still answered, edited and erased."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from bot.conversations.values import IncomingMessage
from bot.migrate import alembic_config, upgrade_to_head


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
