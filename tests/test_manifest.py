"""manifest.yml is what Slack gets: schema-valid, and its scopes, events and commands are exactly
what the code uses (derived from ``bot/`` by tests/slack_usage.py, so new calls are noticed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.slack_usage import SlackUsage, scan

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="../shared/reference is not beside this checkout"
)

# Bot scopes per method (``scope.bot`` in Slack's method reference), for checkouts without the
# reference; test_scope_table_agrees_with_slack_reference keeps it honest where it is present.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "assistant.threads.setStatus": {"chat:write"},
    "assistant.threads.setSuggestedPrompts": {"assistant:write"},
    "assistant.threads.setTitle": {"assistant:write"},
    "chat.appendStream": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write"},
    "chat.startStream": {"chat:write"},
    "chat.stopStream": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "conversations.info": {"channels:read", "groups:read", "im:read", "mpim:read"},
    "conversations.open": {"channels:manage", "groups:write", "im:write", "mpim:write"},
    "conversations.replies": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "files.completeUploadExternal": {"files:write"},
    "files.getUploadURLExternal": {"files:write"},
    "files.info": {"files:read"},
    "reactions.add": {"reactions:write"},
    "reactions.remove": {"reactions:write"},
    "users.info": {"users:read"},
    # Not in ../shared/reference (slack-methods holds only some methods): from Slack's page.
    "usergroups.users.list": {"usergroups:read"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
}
# The bot opens only DMs (``conversations.open(users=…)``), so it needs only im:write.
OPENS_DMS_ONLY = {"conversations.open": {"im:write"}}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
CONVERSATION_TYPES = ("channels", "groups", "im", "mpim")


def _manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# Called with the app-level token (connections:write), which no bot scope covers.
APP_TOKEN_METHODS = {"apps.connections.open"}


def _reference_scopes() -> dict[str, set[str]]:
    return {
        path.stem: set(json.loads(path.read_text(encoding="utf-8")).get("scope", {}).get("bot", []))
        for path in (REFERENCE / "slack-methods").glob("*.json")
    }


def _method_scopes() -> dict[str, set[str]]:
    """The reference's scopes where it has the method, the table's for the others."""
    return {**METHOD_SCOPES, **_reference_scopes()} if REFERENCE.is_dir() else METHOD_SCOPES


def _bot_events(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["settings"]["event_subscriptions"]["bot_events"])


def _needed(scopes: set[str], types: set[str]) -> set[str]:
    """Methods that work in any conversation list one scope per type; keep those we serve."""
    typed = {s for s in scopes if s.split(":")[0] in CONVERSATION_TYPES}
    return (scopes - typed) | {s for s in typed if s.split(":")[0] in types}


def _downloads_shared_files() -> bool:
    bot = Path(__file__).resolve().parent.parent / "bot"
    return any("url_private" in path.read_text(encoding="utf-8") for path in bot.rglob("*.py"))


def expected_scopes(usage: SlackUsage, manifest: dict[str, Any]) -> set[str]:
    table = _method_scopes()
    events = _bot_events(manifest)
    types = {e.split(".")[1] for e in events if e.startswith("message.")}
    scopes = {EVENT_SCOPES[e] for e in events if e in EVENT_SCOPES}
    for method in usage.methods(set(table)) - APP_TOKEN_METHODS:
        scopes |= OPENS_DMS_ONLY.get(method) or _needed(table[method], types)
    if usage.commands:
        scopes.add("commands")
    if "assistant_view" in manifest["features"]:
        scopes.add("assistant:write")
    if _downloads_shared_files():
        scopes.add("files:read")  # fetching a file's url_private needs it; no method call shows it
    return scopes


@pytest.fixture(scope="module")
def usage() -> SlackUsage:
    return scan()


@needs_reference
@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_manifest_is_valid_against_slacks_schema(version: str) -> None:
    import jsonschema

    schema = json.loads((REFERENCE / f"slack-manifest.schema.{version}.json").read_text())
    jsonschema.validate(_manifest(), schema)


@needs_reference
def test_scope_table_agrees_with_slack_reference() -> None:
    reference = _reference_scopes()
    assert {m: reference[m] for m in METHOD_SCOPES if m in reference} == {
        m: scopes for m, scopes in METHOD_SCOPES.items() if m in reference
    }


def test_every_method_the_code_calls_is_known(usage: SlackUsage) -> None:
    unknown = usage.sdk_methods - set(_method_scopes()) - APP_TOKEN_METHODS
    assert not unknown, f"add these to METHOD_SCOPES (and ../shared/reference): {unknown}"


def test_bot_scopes_are_exactly_what_the_code_needs(usage: SlackUsage) -> None:
    manifest = _manifest()
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert declared == expected_scopes(usage, manifest)


def test_events_are_the_listeners_registered(usage: SlackUsage) -> None:
    subscribed = {e.split(".")[0] for e in _bot_events(_manifest())}  # message.im → message
    assert subscribed == usage.events


def test_commands_are_the_ones_registered(usage: SlackUsage) -> None:
    commands = {c["command"] for c in _manifest()["features"].get("slash_commands", [])}
    assert commands == usage.commands


def test_agent_view_is_on_and_offers_the_default_suggested_prompts() -> None:
    from bot.config import DEFAULT_SUGGESTED_PROMPTS, VARIABLES

    features = _manifest()["features"]
    agent = features["agent_view"]
    assert 0 < len(agent["agent_description"]) <= 300
    [variable] = [v for v in VARIABLES if v.name == "SUGGESTED_PROMPTS"]
    defaults = variable.parse(variable.name, DEFAULT_SUGGESTED_PROMPTS)
    assert [(p["title"], p["message"]) for p in agent["suggested_prompts"]] == list(defaults)
    assert "assistant_view" not in features  # new apps get only the agent experience
    assert features["app_home"]["home_tab_enabled"] is True


def test_socket_mode_by_default_and_interactivity_when_handled(usage: SlackUsage) -> None:
    settings = _manifest()["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is usage.interactive


def _oauth_manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.oauth.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@needs_reference
@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_oauth_manifest_is_valid_against_slacks_schema(version: str) -> None:
    import jsonschema

    schema = json.loads((REFERENCE / f"slack-manifest.schema.{version}.json").read_text())
    jsonschema.validate(_oauth_manifest(), schema)


def test_oauth_manifest_asks_what_the_code_uses_and_installs_asks_the_same() -> None:
    from bot.installations import BOT_SCOPES

    oauth, single = _oauth_manifest(), _manifest()
    assert set(oauth["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert oauth["oauth_config"]["scopes"] == single["oauth_config"]["scopes"]
    assert _bot_events(oauth) == _bot_events(single)
    for feature in ("app_home", "agent_view", "bot_user", "shortcuts"):
        assert oauth["features"][feature] == single["features"][feature]
    assert oauth["features"]["slash_commands"] == [
        {**command, "url": "https://bot.example.com/slack/events"}
        for command in single["features"]["slash_commands"]
    ]


def test_oauth_manifest_is_http_mode_with_the_redirect_and_org_installs() -> None:
    settings = _oauth_manifest()["settings"]
    assert settings["org_deploy_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    [redirect] = _oauth_manifest()["oauth_config"]["redirect_urls"]
    assert redirect.endswith("/slack/oauth_redirect")


def test_the_message_shortcut_is_the_one_the_listener_handles() -> None:
    from bot.listeners.shortcuts.summarize_thread import SUMMARIZE_THREAD

    shortcuts = _manifest()["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"]) for s in shortcuts] == [("message", SUMMARIZE_THREAD)]
