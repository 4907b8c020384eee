"""``image_requests``: one row per ``/imagine`` that was sent to the model, and its outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ImageRequest, ImageStatus


class ImageRequestRepository:
    """Repositories never commit: the service that owns the unit of work does."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        team_id: str,
        enterprise_id: str | None,
        channel_id: str,
        user_id: str,
        prompt: str,
        options: Mapping[str, object],
        model: str,
        reference_id: str,
    ) -> int:
        """Record a request before the model is asked; returns its id."""
        row = ImageRequest(
            team_id=team_id,
            enterprise_id=enterprise_id,
            channel_id=channel_id,
            user_id=user_id,
            prompt=prompt,
            options=json.dumps(dict(options), sort_keys=True),
            model=model,
            status=ImageStatus.PENDING,
            reference_id=reference_id,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def finish(
        self,
        request_id: int,
        *,
        team_id: str,
        status: ImageStatus,
        delivered_to: str | None = None,
        file_ids: Sequence[str] = (),
        error: str | None = None,
    ) -> None:
        """Record the outcome: ``delivered`` (with where and which files), ``declined`` or
        ``failed`` (with the error)."""
        await self._session.execute(
            update(ImageRequest)
            .where(ImageRequest.id == request_id, ImageRequest.team_id == team_id)
            .values(
                status=status,
                delivered_to=delivered_to,
                slack_file_ids=json.dumps(list(file_ids)),
                error=error,
            )
        )
