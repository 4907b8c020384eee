"""Split long Markdown answers into Slack-sized messages, carrying code fences across cuts.

Slack takes at most 12,000 characters of ``markdown_text`` per message. Lengths here are
counted in UTF-16 code units, never fewer than code points, so the limit holds whichever
way Slack counts. A cut prefers a blank line, then a line end, then a space, and never
falls inside a grapheme cluster or a link when it can avoid it. A cut inside a fenced
code block closes the fence in one message and reopens it (same fence, same info string)
in the next; the added fence lines count against the limit. The pieces of the original
text, without the added fences, concatenate back to the input exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeAlias

import regex

from bot.slack_output.fences import Fence, could_be_fence_line, next_fence

__all__ = [
    "MARKDOWN_LIMIT",
    "AppendText",
    "MarkdownPart",
    "NextMessage",
    "Segment",
    "StreamSplitter",
    "slack_length",
    "split_markdown",
    "split_markdown_parts",
]

MARKDOWN_LIMIT = 12_000

_GRAPHEME = regex.compile(r"\X")
# Characters that give a line start a meaning (fence, heading, list, quote, table).
_LINE_START_SPECIAL = frozenset(" \t`~#>-+*|")
# Spans a hard cut should not fall inside: links, images, autolinks, bare URLs, code spans.
_UNSPLITTABLE = re.compile(r"!?\[[^\]\n]*\]\([^)\n]*\)|<[^>\n]+>|https?://[^\s)>\]]+|`[^`\n]+`")
_SCAN_PAST_CUT = 2_048


def slack_length(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _line_ends(
    fence: Fence | None, text: str, start: int = 0
) -> Iterator[tuple[int, str, Fence | None]]:
    """Yield (offset after the newline, line, fence state after it) for each complete line."""
    while (newline := text.find("\n", start)) >= 0:
        line = text[start:newline]
        fence = next_fence(fence, line)
        start = newline + 1
        yield start, line, fence


def _state_at_last_line(fence: Fence | None, text: str) -> tuple[Fence | None, int]:
    """Fence state at the start of the last (possibly empty) line of ``text``, and that offset."""
    state, start = fence, 0
    for end, _line, after in _line_ends(fence, text):
        state, start = after, end
    return state, start


def _closing(fence: Fence | None, before: str) -> str:
    return "" if fence is None else fence.closing(after_newline=before.endswith("\n"))


def _line_rank(line: str, fence: Fence | None) -> int:
    if fence is not None:
        return 1
    return 3 if not line.strip() else 2


def _releasable(pending: str) -> int:
    """How much of ``pending`` is safe to commit: no maybe-fence line, no unfinished cluster."""
    line_start = pending.rfind("\n") + 1
    partial = pending[line_start:]
    if could_be_fence_line(partial):
        return line_start
    if partial.isascii():  # one character per cluster (no newline here, so no CR LF)
        starts: Sequence[int] = range(len(partial))
    else:
        starts = [m.start() for m in _GRAPHEME.finditer(partial)]
    for start in reversed(starts):  # the last cluster may be unfinished: release up to it
        if _may_start_line(partial, start):
            return line_start + start
    return line_start


def _may_start_line(text: str, cut: int) -> bool:
    """After a mid-line cut the rest of the line opens the next message; keep its meaning."""
    return cut >= len(text) or text[cut] not in _LINE_START_SPECIAL


def _plan_cut(text: str, fence: Fence | None, budget: int, lo: int) -> tuple[int, Fence | None]:
    """Best cut in ``text`` (a message's content) at or after ``lo`` that fits ``budget``."""
    window = text[:budget]
    units = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in window)]
    best: tuple[tuple[bool, int, int], Fence | None] | None = None
    line_starts = [(0, fence)]
    for end, line, after in _line_ends(fence, window):
        if end >= lo and units[end] + slack_length(_closing(after, "\n")) <= budget:
            key = (units[end] * 2 >= budget, _line_rank(line, after), end)
            if best is None or key > best[0]:
                best = (key, after)
        line_starts.append((end, after))
    if best is not None:
        return best[0][2], best[1]
    for start, line_fence in reversed(line_starts):
        room = budget - len(_closing(line_fence, ""))
        if units[start] <= room:
            if _is_fence_line(text, start, line_fence):
                break
            return _hard_cut(text, start, units, room, lo), line_fence
    raise ValueError(f"limit too small to fit any text beside the code fences ({budget=})")


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _is_fence_line(text: str, start: int, fence: Fence | None) -> bool:
    """A fence line is never cut inside: either half would break the code block."""
    return next_fence(fence, text[start : _line_end(text, start)]) != fence


def _hard_cut(text: str, line_start: int, units: list[int], room: int, lo: int) -> int:
    """Cut inside one over-long line: after a space if possible, never inside a grapheme."""
    line_end = _line_end(text, line_start)
    hi = bisect_right(units, room, line_start, min(line_end, len(units) - 1) + 1) - 1
    if hi < max(lo, 1):
        raise ValueError(f"limit too small to fit any text beside the code fences ({room=})")
    segment = text[line_start : min(hi + _SCAN_PAST_CUT, line_end)]
    spans = [
        (line_start + m.start(), line_start + m.end()) for m in _UNSPLITTABLE.finditer(segment)
    ]
    ends = {line_start + m.end() for m in _GRAPHEME.finditer(segment)}
    cuts = {cut for cut in ends if _may_start_line(text, cut)} | {lo}

    def rank(cut: int) -> tuple[int, int]:
        inside = any(start < cut < end for start, end in spans)
        spaced = text[cut - 1].isspace() and units[cut] * 2 >= room
        return (0 if inside else 2 if spaced else 1), cut

    return max((c for c in cuts if lo <= c <= hi and c > 0), key=rank)


@dataclass(frozen=True, slots=True)
class AppendText:
    """Append ``text`` (a piece of the original answer) to the current message."""

    text: str


@dataclass(frozen=True, slots=True)
class NextMessage:
    """Append ``close_with`` and finish the current message; start the next with ``start_with``.

    Both are only code-fence lines (or empty): they keep a cut code block valid Markdown.
    """

    close_with: str
    start_with: str


Segment: TypeAlias = AppendText | NextMessage


class StreamSplitter:
    """Incremental splitter for streamed answers; its cuts obey the same rules as split_markdown.

    Text is passed on as soon as it arrives, except in the last ``lookahead`` units before the
    limit, where it is held (up to the latest blank line) so the cut can pick a good boundary.
    """

    def __init__(self, limit: int = MARKDOWN_LIMIT, lookahead: int = 1_000) -> None:
        self._limit = limit
        self._lookahead = lookahead
        self._opening = ""
        self._start_fence: Fence | None = None
        self._message = ""
        self._units = 0  # slack_length(self._opening + self._message), kept as they grow
        self._line_fence: Fence | None = None
        self._line_start = 0
        self._pending = ""

    def feed(self, delta: str) -> list[Segment]:
        """Take the next piece of the answer; return what to do with the messages now."""
        self._pending += delta
        return self._drain(final=False)

    def finish(self) -> list[Segment]:
        """Flush everything still held back; call once when the answer is complete."""
        return self._drain(final=True)

    def room(self) -> int:
        """How much can be fed before a cut may come: text fed from now on gives only
        ``AppendText`` while twice its units stay within ``room()`` (twice, as a fence it
        opens adds its closing, never longer than the fence line, against the limit)."""
        fence = self._line_fence
        closing = 0 if fence is None else len(fence.closing(after_newline=False))
        return self._limit - self._units - 2 * slack_length(self._pending) - closing - 2

    def _drain(self, final: bool) -> list[Segment]:
        segments: list[Segment] = []
        while self._pending:
            ready = len(self._pending) if final else _releasable(self._pending)
            text = self._message + self._pending[:ready]
            used = self._units + slack_length(self._pending[:ready])
            if not final:
                used += slack_length(_closing(self._fence_at_end(text), text))
            if used > self._limit:
                segments.extend(self._cut(text))
                continue
            if final or used <= self._limit - self._lookahead:
                self._commit(len(text), segments)
            else:
                self._commit(self._last_paragraph_end(text), segments)
            break
        return segments

    def _fence_at_end(self, text: str) -> Fence | None:
        tail = text[self._line_start :]
        return _state_at_last_line(self._line_fence, tail)[0]

    def _last_paragraph_end(self, text: str) -> int:
        best = len(self._message)
        for end, line, after in _line_ends(self._line_fence, text, self._line_start):
            if end > best and _line_rank(line, after) == 3:
                best = end
        return best

    def _commit(self, end: int, segments: list[Segment]) -> None:
        released = end - len(self._message)
        if released <= 0:
            return
        piece = self._pending[:released]
        segments.append(AppendText(piece))
        self._pending = self._pending[released:]
        tail = self._message[self._line_start :] + piece
        self._line_fence, offset = _state_at_last_line(self._line_fence, tail)
        self._line_start += offset
        self._message += piece
        self._units += slack_length(piece)

    def _cut(self, text: str) -> list[Segment]:
        budget = self._limit - slack_length(self._opening)
        lo = len(self._message) or 1
        cut, fence = _plan_cut(text, self._start_fence, budget, lo)
        segments: list[Segment] = []
        self._commit(cut, segments)
        opening = fence.opening if fence is not None else ""
        segments.append(NextMessage(_closing(fence, text[:cut]), opening))
        self._opening, self._start_fence, self._line_fence = opening, fence, fence
        self._message, self._line_start = "", 0
        self._units = slack_length(opening)
        return segments


@dataclass(frozen=True, slots=True)
class MarkdownPart:
    """One message of a split answer: ``content`` is a slice of the original text."""

    opening: str
    content: str
    closing: str

    @property
    def markdown(self) -> str:
        return self.opening + self.content + self.closing


def split_markdown_parts(text: str, limit: int = MARKDOWN_LIMIT) -> list[MarkdownPart]:
    """Split ``text`` into parts whose ``markdown`` is at most ``limit`` UTF-16 units each."""
    splitter = StreamSplitter(limit)
    parts: list[MarkdownPart] = []
    opening, content = "", ""
    for segment in [*splitter.feed(text), *splitter.finish()]:
        if isinstance(segment, AppendText):
            content += segment.text
        else:
            parts.append(MarkdownPart(opening, content, segment.close_with))
            opening, content = segment.start_with, ""
    if content:
        parts.append(MarkdownPart(opening, content, ""))
    return parts


def split_markdown(text: str, limit: int = MARKDOWN_LIMIT) -> list[str]:
    """Split ``text`` into Slack messages of at most ``limit`` units; ``""`` gives ``[]``."""
    return [part.markdown for part in split_markdown_parts(text, limit)]
