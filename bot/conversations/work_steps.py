"""The steps of work an answer may show before its text (task cards), the loading messages of
the assistant status, and the title a new DM conversation gets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversations.progress import TaskState, TaskStep
from bot.conversations.values import IncomingMessage

__all__ = [
    "CATCHING_UP",
    "DRAWING",
    "READING_ATTACHMENTS",
    "READING_FILES",
    "RETRYING",
    "WorkStep",
    "loading_messages",
    "thread_title",
]

TITLE_CHARS = 60
_SLACK_MARKUP = re.compile(r"<([^>|]*)\|?([^>]*)>")  # <@U1>, <#C1|name>, <https://x|label>
_SPACE = re.compile(r"\s+")
_EMPHASIS = re.compile(r"[*~`]+")  # bold, strike, code marks: a title is plain text


@dataclass(frozen=True, slots=True)
class WorkStep:
    """One kind of work, shown as one task card that moves through its states."""

    task_id: str
    title: str

    def at(self, state: TaskState, details: str = "") -> TaskStep:
        return TaskStep(self.task_id, self.title, state, details)


CATCHING_UP = WorkStep("catch_up", "Reading the thread")
READING_ATTACHMENTS = WorkStep("attachments", "Looking at the attachments")
READING_FILES = WorkStep("files", "Reading the attached files")
DRAWING = WorkStep("drawing", "Drawing the picture")
RETRYING = WorkStep("rate_limited", "Waiting for the AI service")


def loading_messages(message: IncomingMessage, *, drawing: bool = False) -> tuple[str, ...]:
    """What the assistant status rotates through while this message is being worked on."""
    if drawing:
        return ("Drawing…", "Mixing the colours…", "Adding the finishing touches…")
    shown = ["Thinking…"]
    if message.files:
        shown.append("Looking at your attachments…")
    shown.append("Writing an answer…")
    return tuple(shown)


def _readable(match: re.Match[str]) -> str:
    target, label = match[1], match[2]
    if label:
        return label
    return "" if target.startswith(("@", "!", "#")) else target


def thread_title(text: str) -> str:
    """A short, readable title from a conversation's first message: its first line with Slack's
    markup resolved, cut at a word near ``TITLE_CHARS``."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    plain = _SPACE.sub(" ", _EMPHASIS.sub("", _SLACK_MARKUP.sub(_readable, first))).strip(" _>")
    if not plain:
        return "New conversation"
    if len(plain) <= TITLE_CHARS:
        return plain
    cut = plain.rfind(" ", 0, TITLE_CHARS)
    return plain[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS].rstrip(" ,.;:") + "…"
