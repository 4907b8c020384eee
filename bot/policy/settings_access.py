"""Who may change ``/ai-settings`` (workspace admins and owners, and ``ADMIN_USERS``) and which
models may be chosen (``ALLOWED_MODELS``, names or prefixes; the default model always).

It is also the one place that says whether someone is a workspace admin (``users.info``, cached
per workspace): the App Home asks it too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.errors import SlackDeliveryError
from bot.policy.decision import Refusal
from bot.policy.ttl_cache import TtlCache

log = logging.getLogger(__name__)

ROLE_SECONDS = 60.0
"""How long a person's workspace role is trusted before ``users.info`` is asked again."""
LOOKUP_SECONDS = 0.8
"""The lookup runs before a slash command's acknowledgement (3 s, the model check included)."""
BACKGROUND_LOOKUP_SECONDS = 5.0
"""For lookups no acknowledgement waits on (the App Home is published in the background)."""
ROLE_UNKNOWN = Refusal(
    "settings_role_unknown",
    "I couldn't check with Slack whether you are a workspace admin. Please try again in a moment.",
    private=True,
)


class RoleReader(Protocol):
    async def is_workspace_admin(self, user_id: str) -> bool: ...


class SettingsAccess:
    def __init__(
        self,
        roles: RoleReader,
        *,
        admin_users: tuple[str, ...],
        default_model: str,
        allowed_models: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._roles = roles
        self._admin_users = admin_users
        self._default_model = default_model
        self._allowed_models = allowed_models
        self._cache: TtlCache[tuple[str, str], bool] = TtlCache(seconds=ROLE_SECONDS, clock=clock)

    async def may_change(self, user_id: str, *, team_id: str) -> Refusal | None:
        """None when ``user_id`` may change settings in workspace ``team_id``, else the
        refusal saying who may."""
        if user_id in self._admin_users:
            return None
        admin = await self._workspace_role(user_id, team_id, LOOKUP_SECONDS)
        if admin is None:
            return ROLE_UNKNOWN
        if admin:
            return None
        people = ", ".join(f"<@{user}>" for user in self._admin_users)
        who = (
            f"workspace admins and owners, and {people}"
            if people
            else "workspace admins and owners"
        )
        return Refusal(
            "settings_not_admin",
            f"Only {who} can change this channel's settings. "
            "`/ai-settings show` works for everyone.",
            private=True,
        )

    async def is_workspace_admin(self, user_id: str, *, team_id: str) -> bool:
        """Whether Slack says ``user_id`` administers or owns workspace ``team_id`` (not
        ``ADMIN_USERS``: they may change settings, they are not workspace admins); False when
        Slack does not say in time."""
        return await self._workspace_role(user_id, team_id, BACKGROUND_LOOKUP_SECONDS) is True

    async def _workspace_role(self, user_id: str, team_id: str, within: float) -> bool | None:
        """The cached role (per workspace: an Enterprise Grid member's role is not the same in
        every workspace); None when Slack did not answer within ``within`` seconds (not
        cached, so the next ask tries again)."""
        try:
            async with asyncio.timeout(within):
                return await self._cache.get(
                    (team_id, user_id), lambda: self._roles.is_workspace_admin(user_id)
                )
        except (SlackDeliveryError, TimeoutError) as exc:
            log.warning("could not look up a workspace role: %s", getattr(exc, "error", "timeout"))
            return None

    def model_refusal(self, model: str) -> Refusal | None:
        """None when ``model`` may be chosen, else the refusal listing what may."""
        if model == self._default_model or any(
            model.startswith(entry) for entry in self._allowed_models
        ):
            return None
        allowed = ", ".join(
            f"`{m}`" for m in dict.fromkeys((self._default_model, *self._allowed_models))
        )
        return Refusal(
            "model_not_allowed",
            f"`{model}` is not one of the models allowed here. Allowed: {allowed} "
            "(names, or the start of names).",
            private=True,
        )
