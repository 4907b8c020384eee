"""Issue 17 for operators: choosing the mode, the key, ``gen-key``, ``installations``, ``check``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.errors import ConfigError
from tests.conftest import RunningBot
from tests.fakes.bot_env import bot_env
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.installations.conftest import ACME, ENCRYPTION_KEY, install, oauth_env
from tests.test_check import _check as run_cli


def _settings_error(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    return raised.value


def test_both_modes_at_once_is_a_configuration_error(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    env = {**oauth_env(fake_slack, fake_openai, sqlite_url), "SLACK_BOT_TOKEN": "xoxb-1"}
    error = _settings_error(env)
    assert error.variable == "SLACK_BOT_TOKEN" and "choose one mode" in error.fix


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        (("SLACK_CLIENT_SECRET",), "SLACK_CLIENT_SECRET"),
        (("SLACK_CLIENT_ID",), "SLACK_CLIENT_ID"),
        (("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"), "SLACK_BOT_TOKEN"),
        (("ENCRYPTION_KEY",), "ENCRYPTION_KEY"),
    ],
)
def test_an_incomplete_oauth_setup_names_what_is_missing(
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    missing: tuple[str, ...],
    variable: str,
) -> None:
    env = oauth_env(fake_slack, fake_openai, sqlite_url)
    for name in missing:
        del env[name]
    assert _settings_error(env).variable == variable


def test_single_workspace_settings_are_unchanged(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str
) -> None:
    settings = Settings.from_env(bot_env(fake_slack, fake_openai, sqlite_url))
    assert not settings.oauth and settings.slack_bot_token == fake_slack.token


async def test_oauth_without_a_key_refuses_to_start_in_one_line(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    env = oauth_env(fake_slack, fake_openai, sqlite_url)
    del env["ENCRYPTION_KEY"]
    code, out, err = await run_cli(tmp_path, env, command="run")
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("Configuration error: ENCRYPTION_KEY") and "gen-key" in line


async def test_a_malformed_key_is_refused_without_showing_it(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    env = {**oauth_env(fake_slack, fake_openai, sqlite_url), "ENCRYPTION_KEY": "hunter2-secret"}
    code, _out, err = await run_cli(tmp_path, env, command="run")
    assert code == 2 and "ENCRYPTION_KEY" in err and "hunter2" not in err


async def test_gen_key_prints_a_key_the_bot_accepts(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    code, out, _err = await run_cli(tmp_path, {}, command="gen-key")
    assert code == 0
    key = out.strip()
    Fernet(key.encode())
    env = {**oauth_env(fake_slack, fake_openai, sqlite_url), "ENCRYPTION_KEY": key}
    assert Settings.from_env(env).oauth


async def test_installations_lists_who_installed_without_tokens_and_reencrypts(
    oauth_bot: RunningBot,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    await install(oauth_bot, fake_slack, ACME)
    [token] = fake_slack.oauth.tokens
    env = oauth_env(fake_slack, fake_openai, sqlite_url)

    code, out, err = await run_cli(tmp_path, env, command="installations")
    assert code == 0, err
    [line, total] = out.splitlines()
    assert "workspace T0002 (Acme)" in line and "installed by U0ADMIN" in line
    assert "chat:write" in line and total == "1 installation"
    assert token not in out + err

    new_key = Fernet.generate_key().decode()
    rotating = {**env, "ENCRYPTION_KEY": f"{new_key},{ENCRYPTION_KEY}"}
    code, out, _err = await run_cli(tmp_path, rotating, "installations", "--reencrypt")
    assert code == 0 and out.startswith("1 installations re-encrypted")
    code, out, _err = await run_cli(tmp_path, {**env, "ENCRYPTION_KEY": new_key}, "check")
    assert "OK   ENCRYPTION_KEY opens the tokens of 1 installation" in out
    code, out, _err = await run_cli(tmp_path, env, "check")  # the old key alone: no more
    assert code == 1 and "FAIL ENCRYPTION_KEY opens" in out and token not in out


async def test_check_in_oauth_mode_tests_the_client_credentials(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    env = oauth_env(fake_slack, fake_openai, sqlite_url)
    code, out, err = await run_cli(tmp_path, env, "check")
    assert code == 0, out + err
    assert "OAuth" in out.splitlines()[0]
    assert "OK   Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in out

    wrong = {**env, "SLACK_CLIENT_SECRET": "not-the-secret"}
    code, out, err = await run_cli(tmp_path, wrong, "check")
    assert code == 1 and "bad_client_secret" in out
    assert "not-the-secret" not in out + err


def test_the_install_page_sends_people_to_the_slack_the_api_url_names() -> None:
    from bot.installations import authorization_url

    assert authorization_url("https://slack.com/api/") == "https://slack.com/oauth/v2/authorize"
    assert (
        authorization_url("https://slack-gov.com/api/")
        == "https://slack-gov.com/oauth/v2/authorize"
    )
