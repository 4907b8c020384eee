"""The one shape every tool has, built-in or MCP-backed: a name, a description and a JSON
schema for the model, a permission check, and an async run that returns a short text result.

A tool never sees Slack payloads or clients: it gets the arguments the model wrote and a
``ToolContext`` saying whose request it serves and where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.policy.decision import Refusal


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Whose request a tool call serves, and the thread it belongs to."""

    team_id: str
    enterprise_id: str | None
    channel_id: str
    thread_ts: str
    user_id: str
    user_team_id: str | None = None
    """The requester's own team; another than ``team_id`` for Slack Connect users."""


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What the model is told: short text, never bytes. ``ok`` False marks a failure the model
    should explain (the task card shows it as an error)."""

    text: str
    ok: bool = True


class Tool(Protocol):
    @property
    def name(self) -> str:
        """As the model calls it: ``^[a-zA-Z0-9_-]{1,64}$``."""

    @property
    def title(self) -> str:
        """As people read it on a task card."""

    @property
    def description(self) -> str: ...

    @property
    def parameters(self) -> Mapping[str, Any]:
        """JSON schema of the arguments object."""

    @property
    def needs_confirmation(self) -> bool:
        """True: the requesting user approves each call before it runs."""

    async def permit(self, arguments: Mapping[str, Any], context: ToolContext) -> Refusal | None:
        """None to go on; a refusal says why this user may not make this call here (access,
        budgets and moderation of the arguments answer through it)."""

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolOutput: ...


def function_spec(tool: Tool) -> dict[str, Any]:
    """The tool as Chat Completions' ``tools`` entry."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": dict(tool.parameters),
        },
    }
