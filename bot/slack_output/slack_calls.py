"""Calling the Slack Web API from ``slack_output``: one place turns Slack's refusals into ours."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError

__all__ = ["UNSUPPORTED", "call_slack", "slack_error"]

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


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call (HTTP 404 counts as an unknown method)."""
    response = exc.response
    if response.status_code == 404:
        return "unknown_method"
    data = response.data if isinstance(response.data, dict) else {}
    return str(data.get("error", f"http_{response.status_code}"))


async def call_slack(client: AsyncWebClient, method: str, **args: Any) -> dict[str, Any]:
    """POST ``method`` as JSON (``None`` arguments left out); ``SlackDeliveryError`` on refusal."""
    body = {name: value for name, value in args.items() if value is not None}
    try:
        response = await client.api_call(method, json=body)
    except SlackApiError as exc:
        raise SlackDeliveryError(method, slack_error(exc)) from exc
    return dict(response.data) if isinstance(response.data, dict) else {}
