"""Builders for what Slack sends *into* the app: signed event, command and action deliveries."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

_event_ids = itertools.count(1)
_last_ts_us = 0


def new_ts() -> str:
    """A Slack-style ``ts`` ("1700000000.000100") that is unique and increases on every call."""
    global _last_ts_us
    _last_ts_us = max(_last_ts_us + 1, time.time_ns() // 1000)
    seconds, micros = divmod(_last_ts_us, 1_000_000)
    return f"{seconds}.{micros:06d}"


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers Slack would send with ``body``, signed by the real slack_sdk scheme."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(stamp), body=body)
    assert signature is not None  # slack_sdk returns None only without a timestamp or body
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature,
    }


def event_body(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    authed_user: str = "U0BOT",
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> str:
    """The ``event_callback`` envelope Slack wraps every Events API delivery in (for an
    org-wide install, ``authorizations`` names the org and no workspace)."""
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": team_id,
            **({"enterprise_id": enterprise_id} if enterprise_id else {}),
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": None if is_enterprise_install else team_id,
                    "user_id": authed_user,
                    "is_bot": True,
                    "is_enterprise_install": is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )


def _message_fields(
    text: str, user: str, channel: str, ts: str | None, thread_ts: str | None
) -> dict[str, Any]:
    stamp = ts or new_ts()
    fields: dict[str, Any] = {
        "user": user,
        "text": text,
        "ts": stamp,
        "channel": channel,
        "event_ts": stamp,
        "team": "T0001",
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts is not None:
        fields["thread_ts"] = thread_ts
    return fields


def mention_event(
    text: str,
    *,
    user: str = "U0USER",
    channel: str = "C0001",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event whose text starts with the bot's mention, as Slack sends it."""
    fields = _message_fields(f"<@U0BOT> {text}", user, channel, ts, thread_ts)
    return {"type": "app_mention", **fields}


def message_event(
    text: str,
    *,
    user: str = "U0USER",
    channel: str = "C0001",
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    **extra: object,
) -> dict[str, Any]:
    """A ``message`` event; ``extra`` adds or overrides fields such as ``subtype`` or ``bot_id``."""
    fields = _message_fields(text, user, channel, ts, thread_ts)
    return {"type": "message", **fields, "channel_type": channel_type, **extra}


def command_body(
    command: str,
    text: str,
    *,
    user_id: str = "U0USER",
    channel_id: str = "C0001",
    team_id: str = "T0001",
    response_url: str = "",
    trigger_id: str = "trig",
) -> str:
    """A slash command delivery, form-encoded exactly like Slack's."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "user",
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def block_actions_body(
    action_id: str,
    value: str,
    *,
    user_id: str = "U0USER",
    channel_id: str = "C0001",
    message_ts: str = "",
    team_id: str = "T0001",
    thread_ts: str | None = None,
    ephemeral: bool = False,
) -> str:
    """A button click: Slack form-encodes the JSON under a single ``payload`` field. A click in
    an ``ephemeral`` message comes without the message, which Slack does not keep."""
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "user": "U0BOT", "text": ""}
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": ephemeral,
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
        container["thread_ts"] = thread_ts
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "user", "name": "user", "team_id": team_id},
        "api_app_id": "A0001",
        "token": "verification-token",
        "container": container,
        "trigger_id": "trig",
        "team": {"id": team_id, "domain": "fake"},
        "channel": {"id": channel_id, "name": "general"},
        **({} if ephemeral else {"message": message}),
        "response_url": "",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "actions",
                "value": value,
                "action_ts": new_ts(),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def message_shortcut_body(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "U0USER",
    channel_id: str = "C0001",
    team_id: str = "T0001",
) -> str:
    """A message shortcut (``message_action``) used on ``message``, form-encoded like Slack's."""
    payload = {
        "type": "message_action",
        "token": "verification-token",
        "action_ts": new_ts(),
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": "user", "name": "user", "team_id": team_id},
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": "trig",
        "response_url": "https://hooks.slack.com/app/T0001/1/x",
        "message_ts": message["ts"],
        "message": message,
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = "U0USER",
    team_id: str = "T0001",
) -> str:
    """A modal's submission (``view`` as the app opened it, ``values`` as the user filled it
    in: block_id → action_id → element state), form-encoded under ``payload`` like Slack's."""
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": "user", "name": "user", "team_id": team_id},
        "api_app_id": "A0001",
        "token": "verification-token",
        "trigger_id": "trig-submit",
        "view": {**view, "id": "V0MODAL", "team_id": team_id, "state": {"values": values}},
    }
    return urlencode({"payload": json.dumps(payload)})
