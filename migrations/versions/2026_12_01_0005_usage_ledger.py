"""The usage ledger: one row per model call (chat, image, moderation) with its tokens, images
and whom it served, read by budgets and ``python -m bot usage``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:08:09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("id", _Id, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("conversation_id", _Id, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("image_size", sa.String(length=32), nullable=True),
        sa.Column("image_quality", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_usage_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage")),
    )
    with op.batch_alter_table("usage") as batch:
        batch.create_index("ix_usage_created_at", ["created_at"], unique=False)
        batch.create_index("ix_usage_team_id_created_at", ["team_id", "created_at"], unique=False)
        batch.create_index(
            "ix_usage_team_id_user_id_created_at",
            ["team_id", "user_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("usage") as batch:
        batch.drop_index("ix_usage_team_id_user_id_created_at")
        batch.drop_index("ix_usage_team_id_created_at")
        batch.drop_index("ix_usage_created_at")
    op.drop_table("usage")
