"""Fenced code blocks, line by line: which line opens a fence, which closes it, and which
unfinished line may still become one. Shared by the splitter (which must close and reopen a
fence it cuts) and the escaper (which leaves code as the model wrote it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Fence", "could_be_fence_line", "next_fence"]

_FENCE_OPEN = re.compile(r"(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})(?P<info>.*)")
_FENCE_PREFIX = re.compile(r"[ \t]*(?P<run>`+|~+)(?P<rest>.*)")


@dataclass(frozen=True, slots=True)
class Fence:
    indent: str
    marker: str
    info: str

    @property
    def opening(self) -> str:
        return f"{self.marker}{self.info}\n"

    def closing(self, after_newline: bool) -> str:
        newline = "" if after_newline else "\n"
        return f"{newline}{self.indent}{self.marker}"

    def is_closed_by(self, line: str) -> bool:
        stripped = line.strip()
        return len(stripped) >= len(self.marker) and set(stripped) == {self.marker[0]}


def next_fence(fence: Fence | None, line: str) -> Fence | None:
    """Fence state after ``line``; indentation is accepted loosely, as models indent in lists."""
    if fence is not None:
        return None if fence.is_closed_by(line) else fence
    match = _FENCE_OPEN.fullmatch(line.rstrip("\r"))
    if match is None or (match["marker"][0] == "`" and "`" in match["info"]):
        return None
    return Fence(match["indent"], match["marker"], match["info"])


def could_be_fence_line(partial: str) -> bool:
    """Whether an unfinished line may still turn into a fence line (so must not be cut)."""
    if not partial.strip(" \t"):
        return True
    match = _FENCE_PREFIX.fullmatch(partial)
    if match is None:
        return False
    run, rest = match["run"], match["rest"]
    if not rest:
        return True
    return len(run) >= 3 and not (run[0] == "`" and "`" in rest)
