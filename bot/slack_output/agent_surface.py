"""Slack's AI-app surface around the answers: thread titles, suggested prompts, the App Home
view and modals. Each call is cosmetic to the answer: Slack refusing it is logged with its error
code and never raised (a view or a title is not worth a failed answer)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.slack_calls import call_slack

__all__ = ["AgentSurface", "SuggestedPrompt"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SuggestedPrompt:
    """A prompt offered to the user: ``title`` is shown, ``message`` is sent when clicked."""

    title: str
    message: str


class AgentSurface:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def set_title(self, *, channel: str, thread_ts: str, title: str) -> None:
        await self._call(
            "assistant.threads.setTitle", channel_id=channel, thread_ts=thread_ts, title=title
        )

    async def suggest_prompts(
        self,
        *,
        channel: str,
        prompts: Sequence[SuggestedPrompt],
        thread_ts: str | None = None,
        title: str | None = None,
    ) -> None:
        """Agent-view apps set them on the DM itself (no ``thread_ts``: Slack ignores such
        calls silently with one); apps on the older assistant view name the thread."""
        if not prompts:
            return
        await self._call(
            "assistant.threads.setSuggestedPrompts",
            channel_id=channel,
            thread_ts=thread_ts,
            title=title,
            prompts=[{"title": p.title, "message": p.message} for p in prompts],
        )

    async def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        await self._call("views.publish", user_id=user_id, view=view)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call("views.open", trigger_id=trigger_id, view=view)

    async def _call(self, method: str, **args: Any) -> dict[str, Any] | None:
        try:
            return await call_slack(self._client, method, **args)
        except SlackDeliveryError as exc:
            log.warning("%s refused: %s", method, exc.error)
            return None
