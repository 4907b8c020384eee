"""Inbox rows name the Slack message they are about (channel_id, message_ts) in real columns,
keep what the person wrote in ``text`` apart from the payload (an edit or a delete is one
UPDATE), and record every message of a multi-message answer in ``reply_ts``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_inbox = sa.table(
    "inbox",
    sa.column("id", sa.Integer),
    sa.column("payload", sa.Text),
    sa.column("channel_id", sa.String),
    sa.column("message_ts", sa.String),
    sa.column("text", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("message_ts", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), server_default="", nullable=False))
        batch.alter_column("reply_ts", type_=sa.Text(), existing_type=sa.String(length=32))
        batch.create_index(
            "ix_inbox_team_id_channel_id_message_ts",
            ["team_id", "channel_id", "message_ts"],
            unique=False,
        )
    _move_text_out_of_payloads()


def _move_text_out_of_payloads() -> None:
    """Rows written by 0001 carry the message's channel, ts and text inside the JSON payload."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(_inbox.c.id, _inbox.c.payload)).all()
    for row_id, payload in rows:
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(data, dict) or "ts" not in data:
            continue
        text = str(data.pop("text", ""))
        connection.execute(
            sa.update(_inbox)
            .where(_inbox.c.id == row_id)
            .values(
                channel_id=data.get("channel_id"),
                message_ts=data.get("ts"),
                text=text,
                payload=json.dumps(data, separators=(",", ":")),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index("ix_inbox_team_id_channel_id_message_ts")
        batch.alter_column("reply_ts", type_=sa.String(length=32), existing_type=sa.Text())
        batch.drop_column("text")
        batch.drop_column("message_ts")
        batch.drop_column("channel_id")
