"""Who may use the bot, and where: ``ALLOWED_USERS``, ``BLOCKED_USERS`` (user or user-group
ids), ``ALLOWED_CHANNELS`` and ``EXTERNAL_USERS`` (Slack Connect). Empty lists allow everyone,
everywhere; the block list wins over the allow list. A refusal is private (only the asker sees
it). DMs with the bot follow the user lists only."""

from __future__ import annotations

from dataclasses import dataclass

from bot.policy.decision import Refusal
from bot.policy.rules import PolicyRequest
from bot.policy.usergroups import UserGroups

EXTERNAL = Refusal(
    "external_user",
    "Sorry, I only answer people of this workspace's own organisation, "
    "not guests from other organisations in shared channels.",
    private=True,
)
BLOCKED = Refusal(
    "user_blocked",
    "Sorry, you can't use me in this workspace. A workspace admin can tell you more.",
    private=True,
)
NOT_ALLOWED = Refusal(
    "user_not_allowed",
    "Sorry, I'm only available to some people in this workspace. "
    "Ask a workspace admin if you need access.",
    private=True,
)
CHANNEL_NOT_ALLOWED = Refusal(
    "channel_not_allowed",
    "I don't answer in this channel. Ask a workspace admin where I'm available, "
    "or send me a direct message.",
    private=True,
)


@dataclass(frozen=True)
class AccessLists:
    allowed_users: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()
    blocked_users: tuple[str, ...] = ()
    allow_external: bool = False


class AccessRule:
    def __init__(self, lists: AccessLists, groups: UserGroups) -> None:
        self._lists = lists
        self._groups = groups

    async def check(self, request: PolicyRequest) -> Refusal | None:
        lists = self._lists
        external = request.user_team_id not in (None, "", request.team_id)
        if external and not lists.allow_external:
            return EXTERNAL
        if lists.blocked_users and await self._groups.includes(
            lists.blocked_users, request.user_id
        ):
            return BLOCKED
        if lists.allowed_users and not await self._groups.includes(
            lists.allowed_users, request.user_id
        ):
            return NOT_ALLOWED
        if (
            lists.allowed_channels
            and not request.is_dm
            and request.channel_id not in lists.allowed_channels
        ):
            return CHANNEL_NOT_ALLOWED
        return None
