"""One model call as the ledger records it: who it was for, what it was, what it used."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallKind(StrEnum):
    CHAT = "chat"
    IMAGE = "image"
    MODERATION = "moderation"


@dataclass(frozen=True, slots=True)
class Asker:
    """Whom a model call serves: budgets are counted per user and per workspace (team)."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    conversation_id: int | None = None
    enterprise_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelCall:
    """What one call to the model server used. ``estimated``: the server reported no usage, so
    the token figures are our own count."""

    asker: Asker
    kind: CallKind
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False
    images: int = 0
    image_size: str | None = None
    image_quality: str | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
