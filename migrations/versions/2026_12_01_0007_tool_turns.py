"""Tool calls and their results are turns of the conversation: an assistant turn lists the
calls it made (``tool_calls``, JSON), and each result is a ``tool`` turn naming the call it
answers (``tool_call_id``). Both are stored before the next step runs, so a takeover resumes
without running a tool twice.

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("tool_calls", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tool_call_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("tool_call_id")
        batch.drop_column("tool_calls")
