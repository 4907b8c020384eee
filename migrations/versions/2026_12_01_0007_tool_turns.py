"""Tool calls and their results are turns of the conversation: an assistant turn lists the
calls it made (``tool_calls``, JSON), and each result is a ``tool`` turn naming the call it
answers (``tool_call_id``). Both are stored before the next step runs, so a takeover resumes
without running a tool twice. ``tool_confirmations`` holds Approve / Deny questions, so a
click reaching any replica decides them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("tool_calls", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tool_call_id", sa.String(length=64), nullable=True))
    op.create_table(
        "tool_confirmations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_confirmations")),
        sa.UniqueConstraint("key", name=op.f("uq_tool_confirmations_key")),
    )


def downgrade() -> None:
    op.drop_table("tool_confirmations")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("tool_call_id")
        batch.drop_column("tool_calls")
