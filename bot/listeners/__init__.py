"""The Slack-facing edge: thin handlers that turn payloads into typed values and call a service."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.conversations.feedback import FeedbackService
from bot.listeners import actions, commands, events, oauth, shortcuts
from bot.listeners.commands import ai_settings
from bot.services import Services


def register_listeners(app: AsyncApp, services: Services) -> None:
    if services.installations is not None:
        oauth.register(app)
    events.register(app, services.intake, services.edits, services.uninstalls)
    events.register_surfaces(app, services.home, services.tasks)
    ai_settings.register(app, services.channel_settings)
    commands.register(app, services.images)
    actions.register(
        app,
        FeedbackService(services.sessions),
        services.replies,
        services.surface,
        services.confirmations,
        services.confirm_prompts,
        services.summaries,
    )
    shortcuts.register(app, services.summaries)
