"""Installs over OAuth in many workspaces and Enterprise Grid orgs, tokens encrypted at rest.

``Installations`` bundles what OAuth mode needs, built once by ``build_installations``: the
SDK stores over our database (``store``), the per-team token lookup with rotation (``access``),
and what an uninstall removes (``uninstall``). ``acting`` makes Slack calls carry the served
team's token. Bolt's side (install pages, authorize) is wired in ``bot.listeners.oauth``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.installations.access import SlackTokenRefresher, TeamAccess, TeamAuthorizer
from bot.installations.acting import TeamTokenWebClient, acting_for, acts_for, token_in_use
from bot.installations.crypto import TokenCipher, UndecryptableToken, generate_key
from bot.installations.scopes import BOT_SCOPES
from bot.installations.store import DatabaseInstallationStore, DatabaseOAuthStateStore
from bot.installations.uninstall import Uninstalls

__all__ = [
    "BOT_SCOPES",
    "DatabaseInstallationStore",
    "DatabaseOAuthStateStore",
    "Installations",
    "TeamAccess",
    "TeamAuthorizer",
    "TeamTokenWebClient",
    "TokenCipher",
    "UndecryptableToken",
    "Uninstalls",
    "acting_for",
    "acts_for",
    "authorization_url",
    "build_installations",
    "generate_key",
    "token_in_use",
]


def authorization_url(slack_api_url: str) -> str:
    """Slack's install page beside its Web API (slack.com, GovSlack, a fake)."""
    return urljoin(slack_api_url, "../oauth/v2/authorize")


@dataclass(frozen=True)
class Installations:
    """OAuth mode's long-lived objects. ``oauth_client`` carries no token (client credentials
    and explicit tokens only)."""

    cipher: TokenCipher
    store: DatabaseInstallationStore
    states: DatabaseOAuthStateStore
    authorizer: TeamAuthorizer
    oauth_client: AsyncWebClient
    client_id: str
    client_secret: str = field(repr=False)


def build_installations(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    slack: AsyncWebClient,
) -> Installations:
    """Call inside the event loop; ``oauth_client`` shares ``slack``'s connection pool."""
    cipher = TokenCipher.from_setting(settings.encryption_key)
    oauth_client = AsyncWebClient(base_url=settings.slack_api_url, session=slack.session)
    refresher = SlackTokenRefresher(
        oauth_client, settings.slack_client_id, settings.slack_client_secret
    )
    return Installations(
        cipher=cipher,
        store=DatabaseInstallationStore(sessions, cipher),
        states=DatabaseOAuthStateStore(sessions),
        authorizer=TeamAuthorizer(sessions, engine, cipher, refresher),
        oauth_client=oauth_client,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
    )
