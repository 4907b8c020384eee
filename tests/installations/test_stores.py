"""The installation and state stores and the token refresh, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.installations import (
    DatabaseInstallationStore,
    DatabaseOAuthStateStore,
    TeamAuthorizer,
    TokenCipher,
)
from bot.installations.access import SlackTokenRefresher
from bot.store.db import create_engine, create_session_factory
from tests.fakes.slack import FakeSlack, Workspace
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.installations.conftest import ENCRYPTION_KEY

CIPHER = TokenCipher.from_setting(ENCRYPTION_KEY)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


def _installation(
    team_id: str | None, enterprise_id: str | None = None, **extra: object
) -> Installation:
    fields: dict[str, object] = {
        "user_id": "U0ADMIN",
        "bot_token": f"xoxb-{team_id or enterprise_id}-secret",
        "bot_user_id": f"U{team_id or enterprise_id}BOT",
        "bot_scopes": "chat:write,commands",
        **extra,
    }
    return Installation(team_id=team_id, enterprise_id=enterprise_id, **fields)  # type: ignore[arg-type]


async def test_a_workspace_uses_its_own_install_before_its_orgs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = DatabaseInstallationStore(sessions, CIPHER)
    await store.async_save(_installation(None, "E0001", is_enterprise_install=True))
    await store.async_save(_installation("T0001", "E0001"))

    own = await store.async_find_installation(enterprise_id="E0001", team_id="T0001")
    org = await store.async_find_installation(enterprise_id="E0001", team_id="T0002")
    none = await store.async_find_installation(enterprise_id=None, team_id="T0002")

    assert own is not None and own.bot_token == "xoxb-T0001-secret"
    assert org is not None and org.bot_token == "xoxb-E0001-secret" and org.is_enterprise_install
    assert none is None


async def test_a_reinstall_replaces_the_installation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = DatabaseInstallationStore(sessions, CIPHER)
    await store.async_save(_installation("T0001", bot_scopes="chat:write"))
    await store.async_save(_installation("T0001", bot_scopes="chat:write,files:write"))
    found = await store.async_find_bot(enterprise_id=None, team_id="T0001")
    assert found is not None and found.bot_scopes == ["chat:write", "files:write"]
    await store.async_delete_all(enterprise_id=None, team_id="T0001")
    assert await store.async_find_bot(enterprise_id=None, team_id="T0001") is None


async def test_a_state_is_good_once_and_only_until_it_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    states = DatabaseOAuthStateStore(sessions, expiration_seconds=600, clock=lambda: now[0])
    used, expiring = await states.async_issue(), await states.async_issue()

    assert await states.async_consume(used)
    assert not await states.async_consume(used)
    now[0] += timedelta(seconds=601)
    assert not await states.async_consume(expiring)
    assert not await states.async_consume("never-issued")


async def test_two_redirects_racing_with_one_state_install_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    states = DatabaseOAuthStateStore(sessions)
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]


async def _rotating_install(slack: FakeSlack, store: DatabaseInstallationStore) -> str:
    """Install through the fake's OAuth with token rotation on; the first bot token."""
    slack.approve_install(Workspace("T0002", "Acme", "U0ACMEBOT", "B0ACME", expires_in=600))
    code = parse_qs(slack.oauth.authorize({"client_id": CLIENT_ID, "state": "s"}))["code"][0]
    granted = await AsyncWebClient(base_url=slack.api_url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )
    await store.async_save(
        Installation(
            team_id="T0002",
            user_id="U0ADMIN",
            bot_token=granted["access_token"],
            bot_refresh_token=granted["refresh_token"],
            bot_token_expires_in=granted["expires_in"],
            bot_user_id="U0ACMEBOT",
        )
    )
    return str(granted["access_token"])


async def test_replicas_asking_at_once_refresh_an_expiring_token_once(
    fake_slack: FakeSlack, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    first = await _rotating_install(fake_slack, DatabaseInstallationStore(sessions, CIPHER))
    # Several processes share PostgreSQL; SQLite is served by one process.
    replicas = 2 if database_url.startswith("postgresql") else 1
    engines = [create_engine(database_url) for _ in range(replicas)]
    client = AsyncWebClient(base_url=fake_slack.api_url)
    authorizers = [
        TeamAuthorizer(
            create_session_factory(e),
            e,
            CIPHER,
            SlackTokenRefresher(client, CLIENT_ID, CLIENT_SECRET),
        )
        for e in engines
    ]
    try:
        found = await asyncio.gather(
            *(a.access(None, "T0002") for a in authorizers for _ in range(5))
        )
    finally:
        for e in engines:
            await e.dispose()

    assert fake_slack.oauth.refreshes == ["T0002"]
    tokens = {access.bot_token for access in found if access is not None}
    assert len(found) == 5 * replicas and len(tokens) == 1 and first not in tokens
