"""The app leaves a workspace or org (``app_uninstalled``, or its bot token revoked): its
installation is deleted, its deliveries not answered yet are dropped, and with
``PURGE_ON_UNINSTALL=true`` its conversations (and their feedback) are deleted too. One
transaction, one log line."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.access import TeamAuthorizer
from bot.installations.store import installation_key
from bot.store.installations_repo import InstallationRepository, TeamDataRepository

log = logging.getLogger(__name__)


class Uninstalls:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        authorizer: TeamAuthorizer | None,
        *,
        purge: bool,
    ) -> None:
        self._sessions = sessions
        self._authorizer = authorizer
        self._purge = purge

    async def app_uninstalled(
        self, enterprise_id: str | None, team_id: str | None, *, org_wide: bool
    ) -> None:
        key = installation_key(enterprise_id, team_id, org_wide or not team_id)
        async with self._sessions.begin() as session:
            removed = await InstallationRepository(session).delete(*key)
            team_data = TeamDataRepository(session)
            dropped = await team_data.drop_unfinished_deliveries(*key)
            purged = await team_data.purge_conversations(*key) if self._purge else 0
        if self._authorizer is not None:
            self._authorizer.forget(key)
        log.info(
            "app uninstalled: installation %s, %d unanswered deliveries dropped, "
            "%d conversations purged",
            "removed" if removed else "(none stored)",
            dropped,
            purged,
            extra={"enterprise_id": key[0], "team_id": key[1]},
        )

    async def tokens_revoked(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        *,
        org_wide: bool,
        bot_user_ids: Sequence[str],
        user_ids: Sequence[str],
    ) -> None:
        """A revoked bot token ends the installation (it is bot-only); revoked user tokens
        are forgotten."""
        if bot_user_ids:
            await self.app_uninstalled(enterprise_id, team_id, org_wide=org_wide)
            return
        if user_ids:
            key = installation_key(enterprise_id, team_id, org_wide or not team_id)
            async with self._sessions.begin() as session:
                await InstallationRepository(session).forget_user_tokens(*key, user_ids)
            log.info(
                "user tokens revoked: %d forgotten",
                len(user_ids),
                extra={"enterprise_id": key[0], "team_id": key[1]},
            )
