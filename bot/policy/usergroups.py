"""User-group ids (``S…``) in access lists, expanded to their members and cached for minutes
(``usergroups.users.list`` is Tier 2: never asked per message)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from bot.errors import SlackDeliveryError
from bot.policy.ttl_cache import TtlCache

log = logging.getLogger(__name__)

MEMBERS_SECONDS = 300.0
FAILED_SECONDS = 30.0
"""A group Slack would not expand counts as empty for this long, then is asked again."""


def is_group(entry: str) -> bool:
    return entry.startswith("S")


class GroupReader(Protocol):
    async def group_members(self, group_id: str) -> frozenset[str]: ...


class UserGroups:
    def __init__(self, reader: GroupReader, *, clock: Callable[[], float] | None = None) -> None:
        self._reader = reader
        self._members: TtlCache[str, frozenset[str]] = TtlCache(
            seconds=MEMBERS_SECONDS, clock=clock or time.monotonic
        )

    async def includes(self, entries: Iterable[str], user_id: str) -> bool:
        """Whether ``user_id`` is one of ``entries`` or a member of a group among them."""
        entries = tuple(entries)
        if user_id in entries:
            return True
        for group in filter(is_group, entries):
            if user_id in await self._members_of(group):
                return True
        return False

    async def _members_of(self, group_id: str) -> frozenset[str]:
        try:
            return await self._members.get(group_id, lambda: self._reader.group_members(group_id))
        except SlackDeliveryError as exc:
            log.warning("user group %s could not be expanded: %s", group_id, exc.error)
            self._members.put(group_id, frozenset(), seconds=FAILED_SECONDS)
            return frozenset()
