"""The token that serves a workspace: found in the installation store, cached for a short
while, and refreshed before it expires (token rotation).

One refresh per installation however many events ask at once, on however many replicas: in a
process the askers queue on one lock per installation; across replicas on a PostgreSQL
advisory lock. Whoever gets the lock first reads the row again: if another one refreshed it in
the meantime, the new token is used, not refreshed again (a refresh token is single use).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher, UndecryptableToken
from bot.installations.store import InstallationKey
from bot.store.advisory import exclusive
from bot.store.db import read_only_session
from bot.store.installations_repo import InstallationRepository
from bot.store.models import Installation as InstallationRow

log = logging.getLogger(__name__)

REFRESH_BEFORE_EXPIRY = timedelta(minutes=120)
"""Slack's rotating bot tokens live 12 hours; Bolt refreshes those with under 2 hours left."""
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class TeamAccess:
    """What serving one workspace needs: its bot's token and identity."""

    key: InstallationKey
    installation_id: int
    bot_token: str = field(repr=False)
    bot_id: str | None
    bot_user_id: str | None
    bot_scopes: tuple[str, ...]
    expires_at: datetime | None
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RefreshedToken:
    token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


class SlackTokenRefresher:
    """``oauth.v2.access`` with ``grant_type=refresh_token`` (client credentials, no token)."""

    def __init__(self, client: AsyncWebClient, client_id: str, client_secret: str) -> None:
        self._client = client
        self._client_id = client_id
        self._client_secret = client_secret

    async def refresh(self, refresh_token: str, now: datetime) -> RefreshedToken:
        response = await self._client.oauth_v2_access(
            client_id=self._client_id,
            client_secret=self._client_secret,
            grant_type="refresh_token",
            refresh_token=refresh_token,
        )
        return RefreshedToken(
            token=str(response["access_token"]),
            refresh_token=str(response["refresh_token"]),
            expires_at=now + timedelta(seconds=int(response["expires_in"])),
        )


@dataclass
class _Cached:
    access: TeamAccess
    until: float


class TeamAuthorizer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        cipher: TokenCipher,
        refresher: SlackTokenRefresher,
        *,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self._sessions = sessions
        self._engine = engine
        self._cipher = cipher
        self._refresher = refresher
        self._now = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic or asyncio.get_running_loop().time
        self._cache: dict[tuple[str, str, bool], _Cached] = {}
        self._refreshing: dict[InstallationKey, asyncio.Lock] = {}

    async def access(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        *,
        org_wide: bool = False,
        refresh: bool = True,
    ) -> TeamAccess | None:
        """The access that serves this workspace (its own install, else its org's), or None
        when the app is not installed there (or its token could not be renewed in time).
        ``refresh=False``: as stored, for who needs the bot's identity and not its token."""
        query = (enterprise_id or "", team_id or "", org_wide)
        cached = self._cache.get(query)
        fresh = cached is not None and cached.until > self._monotonic()
        if cached is not None and fresh and not (refresh and self._expiring(cached.access)):
            return cached.access
        async with read_only_session(self._sessions) as session:
            row = await InstallationRepository(session).serving(*query[:2], org_wide=org_wide)
            access = None if row is None else self._decoded(row)
        if access is None:
            return None  # not cached: an install may come any moment
        if refresh and self._expiring(access):
            refreshed = await self._refresh(access)
            if refreshed is None:
                return None
            access = refreshed
        self._cache[query] = _Cached(access, self._monotonic() + CACHE_SECONDS)
        return access

    def forget(self, key: InstallationKey) -> None:
        """The installation is gone: stop serving its workspaces from the cache."""
        enterprise_id, team_id = key
        for query in list(self._cache):
            if (team_id and query[1] == team_id) or (not team_id and query[0] == enterprise_id):
                del self._cache[query]

    def _expiring(self, access: TeamAccess) -> bool:
        return (
            access.refresh_token is not None
            and access.expires_at is not None
            and access.expires_at - self._now() < REFRESH_BEFORE_EXPIRY
        )

    async def _refresh(self, seen: TeamAccess) -> TeamAccess | None:
        lock = self._refreshing.setdefault(seen.key, asyncio.Lock())
        async with lock, exclusive(self._engine, "refresh:{}:{}".format(*seen.key)):
            async with read_only_session(self._sessions) as session:
                row = await InstallationRepository(session).get(*seen.key)
                current = None if row is None else self._decoded(row)
            if current is None or not self._expiring(current):
                return current  # uninstalled meanwhile, or refreshed by another asker
            assert current.refresh_token is not None
            try:
                fresh = await self._refresher.refresh(current.refresh_token, self._now())
            except SlackApiError as exc:
                log.error(
                    "could not refresh a bot token: %s",
                    exc.response.get("error"),
                    extra={"enterprise_id": seen.key[0], "team_id": seen.key[1]},
                )
                return current if current.expires_at and current.expires_at > self._now() else None
            async with self._sessions.begin() as session:
                await InstallationRepository(session).update(
                    current.installation_id,
                    {
                        "bot_token": self._cipher.encrypt(fresh.token),
                        "bot_refresh_token": self._cipher.encrypt(fresh.refresh_token),
                        "bot_token_expires_at": fresh.expires_at,
                    },
                )
            log.info(
                "bot token refreshed",
                extra={"enterprise_id": seen.key[0], "team_id": seen.key[1]},
            )
            return replace(
                current,
                bot_token=fresh.token,
                refresh_token=fresh.refresh_token,
                expires_at=fresh.expires_at,
            )

    def _decoded(self, row: InstallationRow) -> TeamAccess | None:
        try:
            token = self._cipher.decrypt(row.bot_token)
            refresh_token = self._cipher.decrypt(row.bot_refresh_token)
        except UndecryptableToken:
            log.error(
                "an installation's token cannot be decrypted with ENCRYPTION_KEY "
                "(was a key removed?)",
                extra={"enterprise_id": row.enterprise_id, "team_id": row.team_id},
            )
            return None
        if token is None:
            return None
        expires = row.bot_token_expires_at
        return TeamAccess(
            key=(row.enterprise_id, row.team_id),
            installation_id=row.id,
            bot_token=token,
            bot_id=row.bot_id,
            bot_user_id=row.bot_user_id,
            bot_scopes=tuple(s for s in row.bot_scopes.split(",") if s),
            expires_at=expires.replace(tzinfo=UTC) if expires and not expires.tzinfo else expires,
            refresh_token=refresh_token,
        )
