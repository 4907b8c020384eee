"""Answers and checks shared by the streaming tests (unit and end to end)."""

from __future__ import annotations

import re

from tests.fakes.slack_content import FakeMessage

_OPENING = re.compile(r"\A(`{3,}|~{3,})[^\n`]*\n")


def long_answer(total: int = 30_000) -> str:
    """Paragraphs and long code blocks (backticks inside), so cuts fall inside code."""
    pieces: list[str] = []
    n = 0
    while sum(len(p) for p in pieces) < total:
        n += 1
        pieces.append(
            f"## Part {n}\n\nSome prose about step {n}, with **bold** and a [link](https://x.io/a_b).\n"
        )
        code = "".join(f"print('line {n}.{i} has `ticks` and ``` inside')\n" for i in range(90))
        pieces.append(f"```python\n{code}```\n")
    return "\n".join(pieces)


def open_fence(markdown: str) -> bool:
    """Whether a ``` fence is still open at the end of ``markdown`` (the test oracle)."""
    fence: str | None = None
    for line in markdown.split("\n"):
        match = re.fullmatch(r"(`{3,})(.*)", line)
        if fence is None and match and "`" not in match[2]:
            fence = match[1]
        elif fence is not None and match and match[1] == fence and not match[2].strip():
            fence = None
    return fence is not None


def rejoin(parts: list[str]) -> str:
    """The answer back from its messages: drop the fence lines added at each cut."""
    text = parts[0]
    for part in parts[1:]:
        opening = _OPENING.match(part)
        if opening and text.endswith("\n```") and open_fence(text[:-3]):
            text, part = text[:-3], part[opening.end() :]
        text += part
    return text


def markdown_of(message: FakeMessage) -> str:
    """The standard Markdown a message shows (streamed text or the markdown block)."""
    if message.markdown_text is not None:
        return message.markdown_text
    return "".join(b["text"] for b in message.blocks or [] if b["type"] == "markdown")
