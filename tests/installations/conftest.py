"""The real bot in OAuth mode (HTTP), the fake Slack's OAuth side, and a browser that installs
the app the way a person does: install page → Slack's "Allow" → back to the redirect."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from tests.conftest import RunningBot, start_bot
from tests.fakes.bot_env import bot_env
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack, Workspace
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET

ENCRYPTION_KEY = Fernet.generate_key().decode()
STATE_COOKIE = "slack-app-oauth-state"

ACME = Workspace("T0002", "Acme", bot_user_id="U0ACMEBOT", bot_id="B0ACME")
GLOBEX = Workspace("T0003", "Globex", bot_user_id="U0GLOBEXBOT", bot_id="B0GLOBEX")


def oauth_env(
    slack: FakeSlack, openai: FakeOpenAI, database_url: str, **extra: str
) -> dict[str, str]:
    """The fakes' environment in OAuth mode: client credentials and a key, no bot token."""
    env = bot_env(slack, openai, database_url, OPENAI_MAX_RETRY_SECONDS="5")
    del env["SLACK_BOT_TOKEN"]
    return {
        **env,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "ENCRYPTION_KEY": ENCRYPTION_KEY,
        **extra,
    }


async def start_oauth_bot(
    slack: FakeSlack, openai: FakeOpenAI, database_url: str, **extra: str
) -> RunningBot:
    running = await start_bot(Settings.from_env(oauth_env(slack, openai, database_url, **extra)))
    slack.oauth_redirect_url = f"{running.url}/slack/oauth_redirect"
    return running


@pytest.fixture
async def oauth_bot(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> AsyncIterator[RunningBot]:
    running = await start_oauth_bot(fake_slack, fake_openai, sqlite_url)
    yield running
    await running.close()


@dataclass
class InstallAttempt:
    install_page: httpx.Response
    redirect_url: str
    """Where Slack sent the browser back: the bot's redirect with code and state."""
    cookie: str
    done: httpx.Response


async def install(bot: RunningBot, slack: FakeSlack, workspace: Workspace) -> InstallAttempt:
    """A person opens /slack/install, clicks "Add to Slack", allows it in ``workspace``."""
    slack.approve_install(workspace)
    async with httpx.AsyncClient(timeout=10) as browser:
        page = await browser.get(f"{bot.url}/slack/install")
        assert page.status_code == 200, page.text
        match = re.search(r'href="([^"]*/oauth/v2/authorize\?[^"]+)"', page.text)
        assert match, page.text
        # Bolt's state cookie is Secure: a browser keeps it for the bot's https origin; this
        # test's origin is plain http on loopback, so the cookie is carried by hand.
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        assert cookie.startswith(f"{STATE_COOKIE}=")
        approved = await browser.get(html.unescape(match.group(1)))
        assert approved.status_code == 302, approved.text
        back = approved.headers["location"]
        done = await browser.get(back, headers={"Cookie": cookie})
    return InstallAttempt(page, back, cookie, done)


async def redirect(bot: RunningBot, url: str, cookie: str | None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as browser:
        return await browser.get(url, headers={"Cookie": cookie} if cookie else {})
