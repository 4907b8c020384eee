"""The Slack credentials: one workspace's tokens, or OAuth installs across many."""

from __future__ import annotations

from bot.config.parsers import encryption_keys, flag, prefixed, text, url
from bot.config.variable import APP_PAGE, Variable

SLACK: tuple[Variable, ...] = (
    Variable(
        "SLACK_BOT_TOKEN",
        prefixed("xoxb-", f"OAuth & Permissions on {APP_PAGE}"),
        "",
        "Bot token `xoxb-…` (OAuth & Permissions → Bot User OAuth Token): one workspace. "
        "Required unless `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` are set (OAuth mode).",
        secret=True,
    ),
    Variable(
        "SLACK_SIGNING_SECRET",
        text,
        "",
        "Verifies HTTP requests from Slack (Basic Information → Signing Secret). "
        "Required in HTTP mode.",
        secret=True,
    ),
    Variable(
        "SLACK_APP_TOKEN",
        prefixed("xapp-", f"Basic Information → App-Level Tokens on {APP_PAGE}"),
        "",
        "App-level token `xapp-…` with `connections:write`; when set, Socket Mode is used.",
        secret=True,
    ),
)


OAUTH: tuple[Variable, ...] = (
    Variable(
        "SLACK_CLIENT_ID",
        text,
        "",
        "Client ID (Basic Information → App Credentials). With `SLACK_CLIENT_SECRET`: OAuth "
        "mode, installable in many workspaces and Enterprise Grid orgs from `/slack/install`.",
    ),
    Variable(
        "SLACK_CLIENT_SECRET",
        text,
        "",
        "Client Secret (Basic Information → App Credentials), for OAuth mode.",
        secret=True,
    ),
    Variable(
        "ENCRYPTION_KEY",
        encryption_keys,
        "",
        "Fernet key encrypting the Slack tokens stored in OAuth mode (required there); a "
        "comma-separated list rotates keys: the first encrypts, all decrypt. "
        "`python -m bot gen-key` prints one.",
        secret=True,
    ),
    Variable(
        "SLACK_REDIRECT_URI",
        url,
        "",
        "Public URL of `/slack/oauth_redirect` (OAuth mode), one of the app's Redirect URLs; "
        "unset, Slack uses the app's only one.",
    ),
    Variable(
        "PURGE_ON_UNINSTALL",
        flag,
        "false",
        "`true`: when a workspace or org uninstalls the app or revokes its tokens, its stored "
        "conversations, feedback and `/imagine` prompts are deleted too (its installation and "
        "pending work always are).",
    ),
)
