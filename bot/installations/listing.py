"""``python -m bot installations``: who has the app installed, never a token; with
``--reencrypt``, every stored token re-encrypted with the first ``ENCRYPTION_KEY`` (after a key
rotation, before the old key is removed)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installations.crypto import TokenCipher, UndecryptableToken
from bot.store.installations_repo import InstallationRepository
from bot.store.models import Installation

_ENCRYPTED = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


def describe(row: Installation) -> str:
    where = (
        f"org {row.enterprise_id} ({row.enterprise_name or '?'}), org-wide"
        if not row.team_id
        else f"workspace {row.team_id} ({row.team_name or '?'})"
        + (f" in org {row.enterprise_id}" if row.enterprise_id else "")
    )
    expires = (
        f", bot token expires {row.bot_token_expires_at:%Y-%m-%d %H:%M} UTC (rotating)"
        if row.bot_token_expires_at
        else ""
    )
    return (
        f"{where}: bot user {row.bot_user_id}, installed by {row.user_id or '?'} on "
        f"{row.installed_at:%Y-%m-%d %H:%M} UTC, scopes {row.bot_scopes or '-'}{expires}"
    )


async def list_installations(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return [describe(row) for row in await InstallationRepository(session).all()]


async def undecryptable(sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher) -> int:
    """How many installations hold a token ``ENCRYPTION_KEY`` cannot decrypt."""
    async with sessions() as session:
        rows = await InstallationRepository(session).all()
    failing = 0
    for row in rows:
        try:
            for column in _ENCRYPTED:
                cipher.decrypt(getattr(row, column))
        except UndecryptableToken:
            failing += 1
    return failing


async def reencrypt(sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the first key; how many installations. Raises
    ``UndecryptableToken`` (and changes nothing) when a token needs a key that is not given."""
    async with sessions.begin() as session:
        repo = InstallationRepository(session)
        rows = await repo.all()
        for row in rows:
            await repo.update(
                row.id,
                {column: cipher.rotate(getattr(row, column)) for column in _ENCRYPTED},
            )
        return len(rows)
