"""Steps of work shown to the user while an answer is being prepared (Slack task cards)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class TaskState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class TaskStep:
    task_id: str
    title: str
    state: TaskState
    details: str = ""


class Progress(Protocol):
    async def task(self, step: TaskStep) -> None: ...
