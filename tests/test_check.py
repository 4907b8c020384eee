"""Issue 7: ``python -m bot check`` as an operator runs it — a real process and its exit code."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from tests.fakes.bot_env import bot_env
from tests.fakes.mcp_server import FakeMcpServer
from tests.fakes.openai import Error, FakeOpenAI
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
    lines = [line for line in out.splitlines() if not line.startswith(" ")]  # checks, not facts
    assert len(lines) == 4 and all(line.startswith("OK") for line in lines), out
    assert "HTTP mode" in lines[0] and "bot user U0BOT" in out
    assert "moderation: off (MODERATION)" in out and "users allowed: everyone" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"OPENAI_API_KEY": None}, "OPENAI_API_KEY"),
        # An in-flight budget smaller than one message's images could never hold them.
        ({"MAX_ATTACHMENT_MB_IN_FLIGHT": "16"}, "MAX_ATTACHMENT_MB_IN_FLIGHT"),
        ({"ALLOWED_USERS": "U0ONE,#general"}, "ALLOWED_USERS"),
        ({"MODERATION": "output"}, "MODERATION"),
    ],
    ids=["missing", "inconsistent", "not-an-id", "output-alone"],
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


async def test_policy_settings_are_reported_and_moderation_and_groups_are_tried(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    fake_slack.add_usergroup("S0TEAM", ["U0ONE", "U0TWO"])
    env = bot_env(
        fake_slack,
        fake_openai,
        sqlite_url,
        ADMIN_USERS="U0LEAD",
        ALLOWED_USERS="S0TEAM,U0SOLO",
        BLOCKED_USERS="S0GONE",
        ALLOWED_CHANNELS="C0001",
        ALLOWED_MODELS="gpt-4.1",
        MODERATION="input,output",
    )
    code, out, err = await _check(tmp_path, env)
    assert code == 1, out + err  # S0GONE is no group
    assert "settings changed by: workspace admins and owners, and U0LEAD" in out
    assert "models allowed: gpt-4o-mini, gpt-4.1" in out
    assert "users allowed: S0TEAM, U0SOLO" in out and "channels: C0001" in out
    assert "Slack Connect users: refuse" in out
    assert "moderation: input,output with omni-moderation-latest at 127.0.0.1" in out
    assert "OK   user group S0TEAM expands (2 people)" in out
    assert "FAIL user group S0GONE expands" in out and "no_such_subteam" in out
    assert "OK   moderation endpoint answers" in out
    assert fake_openai.moderation_requests()[0]["model"] == "omni-moderation-latest"


@pytest.mark.parametrize(
    ("on_error", "code", "mark"), [("allow", 0, "WARN"), ("refuse", 1, "FAIL")]
)
async def test_a_server_without_moderation_is_a_warning_unless_it_refuses_everything(
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    sqlite_url: str,
    tmp_path: Path,
    on_error: str,
    code: int,
    mark: str,
) -> None:
    fake_openai.script_moderations(Error(404, None, "Invalid URL (POST /v1/moderations)"))
    env = bot_env(
        fake_slack, fake_openai, sqlite_url, MODERATION="input", MODERATION_ON_ERROR=on_error
    )
    exit_code, out, err = await _check(tmp_path, env)
    assert exit_code == code, out + err
    [line] = [line for line in out.splitlines() if "moderation endpoint" in line]
    assert line.startswith(mark) and "MODERATION_BASE_URL" in line and "404" in line


async def test_cost_retention_and_tools_are_reported_and_each_mcp_server_is_tried(
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
    fake_mcp: FakeMcpServer,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    env = bot_env(
        fake_slack,
        fake_openai,
        sqlite_url,
        MODEL_CONTEXT_TOKENS="8192",
        USER_DAILY_TOKENS="20000",
        WORKSPACE_MONTHLY_USD="50",
        RETENTION_DAYS="30",
        MCP_SERVERS=f"crm={fake_mcp.url},down=http://127.0.0.1:9/mcp",
        MCP_ALLOWED_TOOLS="crm.lookup_order,down.*",
    )
    code, out, err = await _check(tmp_path, env)
    assert code == 0, out + err  # an MCP server that is down is a warning: its tools are lost
    assert "context: every model=8,192 (MODEL_CONTEXT_TOKENS)" in out
    assert "budgets: 20,000 tokens and unlimited per user per day" in out
    assert "unlimited and 50.0 USD per workspace per month" in out
    assert "retention: 30 days (RETENTION_DAYS)" in out
    assert "MCP servers: crm, down (MCP_SERVERS)" in out
    assert "OK   MCP server crm lists 1 allowed tools" in out
    assert "WARN MCP server down lists 0 allowed tools" in out


async def test_run_with_an_unreachable_database_says_what_to_check_in_one_line(
    fake_slack: FakeSlack, fake_openai: FakeOpenAI, sqlite_url: str, tmp_path: Path
) -> None:
    # run migrates in a child process first; that child cannot reach the database.
    unreachable = "postgresql://bot:hunter2-secret@127.0.0.1:1/gone"
    code, out, err = await _check(
        tmp_path, bot_env(fake_slack, fake_openai, unreachable), command="run"
    )
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("Could not migrate the database: ")
    assert "Check DATABASE_URL" in err
    assert "Traceback" not in out + err and "hunter2-secret" not in out + err
    assert "bot started" not in out + err
