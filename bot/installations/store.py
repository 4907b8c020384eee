"""Slack SDK's async installation and OAuth-state stores over our own database.

Bolt's OAuth flow saves what ``oauth.v2.access`` returned through ``DatabaseInstallationStore``
and checks install states through ``DatabaseOAuthStateStore``; both use our engine, our
migrations and our repositories. Tokens (bot, refresh, user) and the incoming-webhook URL are
encrypted before they reach a session; nothing here logs a token.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher
from bot.store.db import read_only_session
from bot.store.installations_repo import InstallationRepository, OAuthStateRepository
from bot.store.models import Installation as InstallationRow

log = logging.getLogger(__name__)

InstallationKey = tuple[str, str]
"""(enterprise_id, team_id), empty strings for none; ``team_id`` empty for org-wide installs."""


def installation_key(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> InstallationKey:
    return (enterprise_id or "", "" if is_enterprise_install else (team_id or ""))


def _when(epoch: int | float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _epoch(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone
    return int(aware.timestamp())


def _scopes(scopes: Sequence[str] | str | None) -> str:
    return scopes if isinstance(scopes, str) else ",".join(scopes or ())


def row_values(installation: Installation, cipher: TokenCipher) -> dict[str, Any]:
    """The columns of an installation, tokens encrypted."""
    i = installation
    enterprise_id, team_id = installation_key(i.enterprise_id, i.team_id, i.is_enterprise_install)
    return {
        "enterprise_id": enterprise_id,
        "team_id": team_id,
        "is_enterprise_install": bool(i.is_enterprise_install),
        "app_id": i.app_id,
        "enterprise_name": i.enterprise_name,
        "enterprise_url": i.enterprise_url,
        "team_name": i.team_name,
        "bot_id": i.bot_id,
        "bot_user_id": i.bot_user_id,
        "bot_scopes": _scopes(i.bot_scopes),
        "bot_token": cipher.encrypt(i.bot_token),
        "bot_refresh_token": cipher.encrypt(i.bot_refresh_token),
        "bot_token_expires_at": _when(i.bot_token_expires_at),
        "user_id": i.user_id,
        "user_scopes": _scopes(i.user_scopes),
        "user_token": cipher.encrypt(i.user_token),
        "user_refresh_token": cipher.encrypt(i.user_refresh_token),
        "user_token_expires_at": _when(i.user_token_expires_at),
        "incoming_webhook_url": cipher.encrypt(i.incoming_webhook_url),
        "incoming_webhook_channel": i.incoming_webhook_channel,
        "incoming_webhook_channel_id": i.incoming_webhook_channel_id,
        "incoming_webhook_configuration_url": i.incoming_webhook_configuration_url,
        "token_type": i.token_type,
        "installed_at": _when(i.installed_at) or datetime.now(UTC),
    }


def from_row(row: InstallationRow, cipher: TokenCipher) -> Installation:
    """The SDK's installation of a stored row, tokens decrypted (``UndecryptableToken`` when
    ``ENCRYPTION_KEY`` lacks the key they were encrypted with)."""
    return Installation(
        app_id=row.app_id,
        enterprise_id=row.enterprise_id or None,
        enterprise_name=row.enterprise_name,
        enterprise_url=row.enterprise_url,
        team_id=row.team_id or None,
        team_name=row.team_name,
        bot_token=cipher.decrypt(row.bot_token),
        bot_id=row.bot_id,
        bot_user_id=row.bot_user_id,
        bot_scopes=row.bot_scopes,
        bot_refresh_token=cipher.decrypt(row.bot_refresh_token),
        bot_token_expires_at=_epoch(row.bot_token_expires_at),
        user_id=row.user_id or "",
        user_token=cipher.decrypt(row.user_token),
        user_scopes=row.user_scopes,
        user_refresh_token=cipher.decrypt(row.user_refresh_token),
        user_token_expires_at=_epoch(row.user_token_expires_at),
        incoming_webhook_url=cipher.decrypt(row.incoming_webhook_url),
        incoming_webhook_channel=row.incoming_webhook_channel,
        incoming_webhook_channel_id=row.incoming_webhook_channel_id,
        incoming_webhook_configuration_url=row.incoming_webhook_configuration_url,
        is_enterprise_install=row.is_enterprise_install,
        token_type=row.token_type,
        installed_at=float(_epoch(row.installed_at) or 0),
    )


class DatabaseInstallationStore(AsyncInstallationStore):
    """One installation per workspace or org (a reinstall replaces it); bot-centric: deleting
    the bot deletes the installation."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        async with self._sessions.begin() as session:
            await InstallationRepository(session).save(row_values(installation, self._cipher))
        log.info(
            "installed",
            extra={
                "enterprise_id": installation.enterprise_id,
                "team_id": installation.team_id,
                "org_wide": bool(installation.is_enterprise_install),
            },
        )

    async def async_save_bot(self, bot: Bot) -> None:
        raise NotImplementedError("installations are saved whole (async_save)")

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        async with read_only_session(self._sessions) as session:
            row = await InstallationRepository(session).serving(
                enterprise_id or "", team_id or "", org_wide=bool(is_enterprise_install)
            )
            if row is None or (user_id is not None and row.user_id != user_id):
                return None
            return from_row(row, self._cipher)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if installation is None else installation.to_bot()

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        async with self._sessions.begin() as session:
            repo = InstallationRepository(session)
            key = (enterprise_id or "", team_id or "")
            if user_id is None:
                await repo.delete(*key)
            else:
                await repo.forget_user_tokens(*key, [user_id])

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseOAuthStateStore(AsyncOAuthStateStore):
    """Install states: random, single use, expiring (Bolt also binds each to the browser
    that started the install with a cookie)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        expiration_seconds: int = 600,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._sessions = sessions
        self._lifetime = timedelta(seconds=expiration_seconds)
        self._now = clock or (lambda: datetime.now(UTC))

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            await OAuthStateRepository(session).add(state, self._now() + self._lifetime)
        return state

    async def async_consume(self, state: str) -> bool:
        async with self._sessions.begin() as session:
            consumed = await OAuthStateRepository(session).consume(state, self._now())
        if not consumed:
            log.warning("install refused: unknown, used or expired state")
        return consumed
