"""Refusals by the policy (access lists, Slack Connect, moderation): who, where, which code and
moderation's categories, never the text. Lets a refused person be told once per thread.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "policy_refusals",
        sa.Column("id", _Id, nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_refusals")),
    )
    op.create_index(
        "ix_policy_refusals_team_id_channel_id_thread_ts_user_id",
        "policy_refusals",
        ["team_id", "channel_id", "thread_ts", "user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_policy_refusals_team_id_channel_id_thread_ts_user_id", table_name="policy_refusals"
    )
    op.drop_table("policy_refusals")
