"""Issue 7: ``python -m bot check`` as an operator runs it — a real process and its exit code."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from tests.fakes.bot_env import bot_env
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent


async def _check(
    cwd: Path, env: dict[str, str], command: str = "check", *arguments: str
) -> tuple[int, str, str]:
    """Run the CLI in an empty directory (no .env) with only ``env`` configured."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        *arguments,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_good_configuration_is_all_ok(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    code, out, err = await _check(tmp_path, bot_env(fake_slack, fake_openai, sqlite_url))
    assert code == 0, out + err
    lines = out.splitlines()
    assert len(lines) == 4 and all(line.startswith("OK") for line in lines), out
    assert "HTTP mode" in lines[0] and "bot user U0BOT" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"OPENAI_API_KEY": None}, "OPENAI_API_KEY"),
        # An in-flight budget smaller than one message's images could never hold them.
        ({"MAX_ATTACHMENT_MB_IN_FLIGHT": "16"}, "MAX_ATTACHMENT_MB_IN_FLIGHT"),
    ],
    ids=["missing", "inconsistent"],
)
async def test_bad_configuration_is_one_line_naming_the_variable_and_exit_2(
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    tmp_path: Path,
    change: dict[str, str | None],
    variable: str,
) -> None:
    env = bot_env(fake_slack, fake_openai, sqlite_url)
    for name, value in change.items():
        if value is None:
            del env[name]
        else:
            env[name] = value
    code, out, err = await _check(tmp_path, env)
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"Configuration error: {variable}") and out == ""


async def test_wrong_slack_token_fails_with_the_fix(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    env = {**bot_env(fake_slack, fake_openai, sqlite_url), "SLACK_BOT_TOKEN": "xoxb-wrong"}
    code, out, err = await _check(tmp_path, env)
    assert code == 1
    [failure] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert "check SLACK_BOT_TOKEN" in failure and "invalid_auth" in failure
    assert "Traceback" not in err and "xoxb-wrong" not in out + err


async def test_socket_mode_that_cannot_connect_says_so_in_one_line_without_a_traceback(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    # No signing secret (Socket Mode needs none); the fake Slack has no apps.connections.open.
    env = bot_env(
        fake_slack, fake_openai, sqlite_url, SLACK_APP_TOKEN="xapp-1-test", SLACK_SIGNING_SECRET=""
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    code, _out, err = await _check(tmp_path, {**env, "PORT": port}, command="run")
    assert code == 1
    assert "Could not start" in err and "SLACK_APP_TOKEN" in err
    assert "Traceback" not in err
    assert "xapp-1-test" not in err
