"""The bot scopes an OAuth install asks for: exactly the manifests' (a test keeps them equal)."""

from __future__ import annotations

BOT_SCOPES = (
    "app_mentions:read",
    "assistant:write",
    "channels:history",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "im:history",
    "im:write",
    "mpim:history",
    "usergroups:read",
    "users:read",
)
