"""model_windows: context windows, token ratios and answer bounds learned from the model
server's errors, shared by every replica.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_windows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("server", sa.String(length=255), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("context_tokens", sa.Integer(), nullable=True),
        sa.Column("assumed_tokens", sa.Integer(), nullable=True),
        sa.Column("token_ratio", sa.Float(), nullable=True),
        sa.Column("answer_bound", sa.String(length=32), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_windows")),
        sa.UniqueConstraint("server", "model", name=op.f("uq_model_windows_server_model")),
    )


def downgrade() -> None:
    op.drop_table("model_windows")
