"""Calling the Slack Web API: the one place where slack_sdk's errors (Slack's refusals, and
connection failures and timeouts raised by the client) become ``SlackDeliveryError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError

__all__ = [
    "PER_MESSAGE_STREAM_REFUSALS",
    "REQUEST_FAILED",
    "UNSUPPORTED",
    "call_slack",
    "delivery_error",
    "slack_errors_converted",
]

# Answers meaning "this Slack (or this token) does not offer the method": remember and move on.
UNSUPPORTED = frozenset(
    {
        "unknown_method",
        "not_allowed_token_type",
        "method_deprecated",
        "feature_not_enabled",
        "missing_scope",
    }
)

# chat.startStream refusals about one conversation or recipient, not about this Slack: that
# message is posted and updated instead, and the next one streams again.
PER_MESSAGE_STREAM_REFUSALS = frozenset(
    {
        "channel_type_not_supported",
        "missing_recipient_team_id",
        "missing_recipient_user_id",
        "team_not_found",
        "user_not_found",
    }
)

REQUEST_FAILED = "request_failed"
"""The error code for a call that got no answer from Slack (connection error, timeout)."""

# What AsyncWebClient raises: SlackApiError (Slack answered ``ok: false``), other
# SlackClientErrors, and aiohttp's connection errors and timeouts once its retry handlers have
# given up (``asyncio.TimeoutError`` is ``TimeoutError``).
_SDK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)


def _slack_error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call (HTTP 404 counts as an unknown method)."""
    response = exc.response
    if response.status_code == 404:
        return "unknown_method"
    data = response.data if isinstance(response.data, dict) else {}
    return str(data.get("error", f"http_{response.status_code}"))


def delivery_error(method: str, exc: BaseException) -> SlackDeliveryError:
    """``exc`` (raised by slack_sdk while calling ``method``) as the bot's error."""
    if isinstance(exc, SlackApiError):
        return SlackDeliveryError(method, _slack_error(exc))
    return SlackDeliveryError(method, REQUEST_FAILED)


@contextmanager
def slack_errors_converted(method: str) -> Iterator[None]:
    """Around a slack_sdk call: any Slack or connection error leaves as ``SlackDeliveryError``."""
    try:
        yield
    except _SDK_ERRORS as exc:
        raise delivery_error(method, exc) from exc


async def call_slack(client: AsyncWebClient, method: str, **args: Any) -> dict[str, Any]:
    """POST ``method`` as JSON (``None`` arguments left out); ``SlackDeliveryError`` on refusal
    or when Slack could not be reached."""
    body = {name: value for name, value in args.items() if value is not None}
    with slack_errors_converted(method):
        response = await client.api_call(method, json=body)
    return dict(response.data) if isinstance(response.data, dict) else {}
