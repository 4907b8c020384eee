"""What the model server taught us per model (``model_windows``), shared by replicas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store._upsert import upsert
from bot.store.models import ModelWindow


class ModelWindowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, server: str, model: str) -> ModelWindow | None:
        return await self._session.scalar(
            select(ModelWindow).where(ModelWindow.server == server, ModelWindow.model == model)
        )

    async def record(
        self,
        server: str,
        model: str,
        *,
        context_tokens: int | None = None,
        assumed_tokens: int | None = None,
        token_ratio: float | None = None,
        answer_bound: str | None = None,
    ) -> None:
        """Set the given values (``None`` leaves a value as it is), creating the row if needed;
        two replicas learning at once both land, the later value winning."""
        learned = {
            name: value
            for name, value in (
                ("context_tokens", context_tokens),
                ("assumed_tokens", assumed_tokens),
                ("token_ratio", token_ratio),
                ("answer_bound", answer_bound),
            )
            if value is not None
        }
        if not learned:
            return
        await upsert(
            self._session,
            ModelWindow,
            {"server": server, "model": model, **learned},
            conflict_columns=("server", "model"),
            update_columns=tuple(learned),
        )
