"""Who is a workspace admin, from ``users.info`` (``is_admin``, ``is_owner``,
``is_primary_owner``). Asked when the App Home is opened, not cached: a role can change."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.slack_calls import slack_errors_converted

log = logging.getLogger(__name__)

_ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


class WorkspaceRoles:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def is_admin(self, user_id: str) -> bool:
        """Whether ``user_id`` administers the workspace; False when Slack will not say."""
        try:
            with slack_errors_converted("users.info"):
                info = (await self._client.users_info(user=user_id)).get("user") or {}
        except SlackDeliveryError as exc:
            log.warning("could not look up a user's role: %s", exc.error)
            return False
        return any(info.get(flag) is True for flag in _ADMIN_FLAGS)
