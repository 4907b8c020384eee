"""Reading who someone is from Slack: workspace roles (``users.info``) and user-group members
(``usergroups.users.list``). Every Slack or connection error leaves as ``SlackDeliveryError``."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.slack_calls import slack_errors_converted


class SlackPeople:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def is_workspace_admin(self, user_id: str) -> bool:
        """An admin or owner of the workspace (``is_admin``, ``is_owner``, ``is_primary_owner``)."""
        with slack_errors_converted("users.info"):
            response = await self._client.users_info(user=user_id)
        user = response.get("user") or {}
        return any(user.get(flag) is True for flag in ("is_admin", "is_owner", "is_primary_owner"))

    async def group_members(self, group_id: str) -> frozenset[str]:
        """The user ids of a user group (``S…``); scope ``usergroups:read``."""
        with slack_errors_converted("usergroups.users.list"):
            response = await self._client.usergroups_users_list(usergroup=group_id)
        return frozenset(str(user) for user in response.get("users") or ())
