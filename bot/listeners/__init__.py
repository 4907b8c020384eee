"""The Slack-facing edge: thin handlers that turn payloads into typed values and call a service."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import events
from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> None:
    events.register(app, services.conversations, services.inbox)
