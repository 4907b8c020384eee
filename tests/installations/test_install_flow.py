"""Issue 17: installing over OAuth through the real pages and the fake Slack's OAuth side."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.installations import DatabaseInstallationStore, TokenCipher
from bot.store.db import create_session_factory
from bot.store.models import Installation
from tests.conftest import RunningBot
from tests.db_reads import stored
from tests.fakes.slack import FakeSlack, Workspace
from tests.fakes.slack_oauth import CLIENT_ID
from tests.installations.conftest import ACME, ENCRYPTION_KEY, install, redirect


def _database_bytes(sqlite_url: str) -> bytes:
    path = Path(sqlite_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_install_page_links_to_slack_with_our_scopes_and_a_state(
    oauth_bot: RunningBot, fake_slack: FakeSlack
) -> None:
    attempt = await install(oauth_bot, fake_slack, ACME)
    authorize = next(
        line for line in attempt.install_page.text.split('"') if "oauth/v2/authorize" in line
    )
    query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "chat:write" in query["scope"][0].split(",")
    assert query["state"][0] and query["state"][0] in attempt.cookie


async def test_full_install_stores_the_tokens_encrypted(
    oauth_bot: RunningBot,
    fake_slack: FakeSlack,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # INFO as in production (bot.logging_setup keeps Slack's SDK, which logs response
    # bodies at DEBUG, at WARNING whatever LOG_LEVEL says).
    caplog.set_level(logging.INFO)
    attempt = await install(oauth_bot, fake_slack, ACME)

    assert attempt.done.status_code == 200
    assert "Thank you" in attempt.done.text
    [exchange] = fake_slack.calls_to("oauth.v2.access")
    assert exchange.args["code"] and "Basic " in exchange.headers["Authorization"]
    [row] = await stored(sqlite_url, Installation)
    assert (row.enterprise_id, row.team_id, row.team_name) == ("", "T0002", "Acme")
    assert (row.bot_user_id, row.bot_id, row.user_id) == ("U0ACMEBOT", "B0ACME", "U0ADMIN")
    [token] = fake_slack.oauth.tokens
    assert row.bot_token is not None and token not in row.bot_token
    assert token.encode() not in _database_bytes(sqlite_url)
    assert token not in caplog.text and "installed" in caplog.text
    # What is stored opens with the key, and only with it.
    assert TokenCipher.from_setting(ENCRYPTION_KEY).decrypt(row.bot_token) == token


async def test_the_store_gives_back_what_the_install_saved(
    oauth_bot: RunningBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    engine = create_async_engine(sqlite_url)
    store = DatabaseInstallationStore(
        create_session_factory(engine), TokenCipher.from_setting(ENCRYPTION_KEY)
    )
    try:
        found = await store.async_find_installation(enterprise_id=None, team_id="T0002")
        missing = await store.async_find_installation(enterprise_id=None, team_id="T0404")
    finally:
        await engine.dispose()
    assert found is not None and missing is None
    assert found.bot_token in fake_slack.oauth.tokens
    assert found.bot_user_id == "U0ACMEBOT" and found.team_name == "Acme"


async def test_a_forged_state_is_refused_and_nothing_installed(
    oauth_bot: RunningBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    forged = f"{oauth_bot.url}/slack/oauth_redirect?code=1.abc&state=forged"
    response = await redirect(oauth_bot, forged, "slack-app-oauth-state=forged")

    assert response.status_code == 401
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert await stored(sqlite_url, Installation) == []


async def test_a_state_without_the_browser_that_asked_is_refused(
    oauth_bot: RunningBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    attempt = await install(oauth_bot, fake_slack, ACME)
    fake_slack.approve_install(Workspace("T0009", "Other", bot_user_id="U9", bot_id="B9"))
    response = await redirect(oauth_bot, attempt.redirect_url, None)  # no state cookie
    assert response.status_code == 400
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1


async def test_a_used_state_is_refused_the_second_time(
    oauth_bot: RunningBot, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    attempt = await install(oauth_bot, fake_slack, ACME)
    assert attempt.done.status_code == 200

    replay = await redirect(oauth_bot, attempt.redirect_url, attempt.cookie)

    assert replay.status_code == 401
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1
    assert len(await stored(sqlite_url, Installation)) == 1


async def test_a_refused_install_at_slack_shows_a_page_not_an_error(
    oauth_bot: RunningBot,
) -> None:
    response = await redirect(
        oauth_bot, f"{oauth_bot.url}/slack/oauth_redirect?error=access_denied&state=x", None
    )
    assert response.status_code == 200
    assert "Traceback" not in response.text and "/slack/install" in response.text


async def test_a_failure_while_saving_shows_a_reference_not_the_error(
    oauth_bot: RunningBot,
    fake_slack: FakeSlack,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = create_async_engine(sqlite_url)
    async with broken.begin() as connection:
        await connection.execute(text("DROP TABLE installations"))
    await broken.dispose()

    attempt = await install(oauth_bot, fake_slack, ACME)

    assert attempt.done.status_code == 500
    [reference] = re.findall(r"ref-[0-9a-f]+", attempt.done.text)
    assert "Traceback" not in attempt.done.text and "installations" not in attempt.done.text
    assert any(getattr(r, "reference_id", None) == reference for r in caplog.records)
