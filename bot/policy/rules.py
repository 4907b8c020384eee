"""The policy entry point: one request, rules asked in order, the first refusal wins.

A rule is anything with ``async def check(request) -> Refusal | None`` (access lists,
moderation, budgets). The domain holds two ``Policy`` objects (``Policies``): ``access`` is asked
before any work is done for a message (who, where), ``content`` once the prompt is built and
before the model is called (what: the text, its images, the model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.policy.decision import Refusal


class RequestKind(StrEnum):
    ANSWER = "answer"
    IMAGE = "image"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """Who asks what, where. ``images`` are URLs the model would see (``data:`` included)."""

    kind: RequestKind
    team_id: str
    channel_id: str
    user_id: str
    user_team_id: str | None = None
    """The asker's own team; another than ``team_id`` for Slack Connect users."""
    is_dm: bool = False
    model: str = ""
    text: str = ""
    images: tuple[str, ...] = field(default=())


class Rule(Protocol):
    async def check(self, request: PolicyRequest) -> Refusal | None: ...


class Policy:
    """Rules asked in order; the first refusal is the answer."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self._rules = tuple(rules)

    async def check(self, request: PolicyRequest) -> Refusal | None:
        for rule in self._rules:
            refusal = await rule.check(request)
            if refusal is not None:
                return refusal
        return None


@dataclass(frozen=True)
class Policies:
    access: Policy = field(default_factory=Policy)
    """Asked first, before the thread is read or files downloaded: who may ask, where."""
    content: Policy = field(default_factory=Policy)
    """Asked with the built prompt, before the model: what is asked."""
