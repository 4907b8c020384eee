"""Text the bot did not write (model output, file names, prompts) made unable to ping anyone.

Slack reads its own control sequences in message text: ``<!here>``, ``<!channel>``,
``<!everyone>`` and ``<!subteam^…>`` notify whole channels or groups, ``<@U…>`` pings a person,
``<#C…>`` and ``<url|label>`` are links. In mrkdwn (``text``, section blocks, file comments)
the documented cure is to send ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;``
(``escape_mrkdwn``).

Standard Markdown (``markdown_text`` and ``markdown`` blocks) has no documented escape for
them: Slack converts it server-side, ``<@U…>`` in it is known to become a real mention, and
``[x](!channel)`` becomes ``<!channel|x>``. Entity escapes are no cure there, as a Markdown
parser decodes ``&lt;`` back to ``<`` before Slack sees the text, and they would show as
``&lt;`` inside code. So ``escape_markdown`` breaks each sequence with a zero-width space,
which no parser decodes and nobody sees:

- outside code, after every ``<`` that does not open an ``http``/``https``/``mailto``
  autolink, after ``&`` when it starts an entity, after ``@`` in ``@here``/``@channel``/
  ``@everyone``, and after ``]`` when ``(`` or ``:`` follows with a link target that is not
  ``http``/``https``/``mailto`` (the link then shows as the text it was written as; a
  target more than 8 spaces away counts as foreign);
- inside fenced code blocks, only in ``<!here``, ``<!channel``, ``<!everyone``,
  ``<!subteam``, ``<@`` and ``<#``, so ``Vec<String>`` or ``<!-- … -->`` stay exact to copy.

Inline code spans count as text: the breaks are invisible there too, and telling a code span
from a stray backtick would hold streamed text back until the line ends.
"""

from __future__ import annotations

import regex

from bot.slack_output.fences import Fence, could_be_fence_line, next_fence

__all__ = [
    "ZERO_WIDTH_SPACE",
    "MarkdownEscaper",
    "allowed_link",
    "break_mentions",
    "escape_control_characters",
    "escape_markdown",
    "escape_mrkdwn",
    "without_broadcasts",
]

ZERO_WIDTH_SPACE = "\u200b"

_ALLOWED_TARGET = r"(?:https?://|mailto:)"
_BROADCAST_WORD = r"(?:here|channel|everyone)"
_LINK_START = regex.compile(_ALLOWED_TARGET, regex.IGNORECASE)
_PLAIN_BROADCAST = regex.compile(rf"@(?={_BROADCAST_WORD})", regex.IGNORECASE)
_ANY_MENTION = regex.compile(rf"<(?=[!@#])|@(?={_BROADCAST_WORD})", regex.IGNORECASE)
# Each match is one character; a zero-width space goes right after it.
_IN_TEXT = regex.compile(
    rf"""<(?!{_ALLOWED_TARGET})
       | &(?=\#|[a-z][a-z0-9]{{0,31}};)
       | @(?={_BROADCAST_WORD})
       | \](?=[(:][ \t]{{0,8}}(?:\n[ \t]{{0,8}})?<?(?!{_ALLOWED_TARGET}))""",
    regex.IGNORECASE | regex.VERBOSE,
)
_IN_CODE = regex.compile(rf"<(?=[@#]|!(?:{_BROADCAST_WORD}|subteam))", regex.IGNORECASE)
# Every rule decides within this many characters after its trigger character.
_LOOKAHEAD = 48
_TRIGGERS = regex.compile(r"[<&@\]]")


def escape_control_characters(text: str) -> str:
    """``&``, ``<`` and ``>`` as the entities Slack decodes for display (code included)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mrkdwn(text: str) -> str:
    """Foreign text for mrkdwn: control characters escaped, ``@here`` and kin broken."""
    return _PLAIN_BROADCAST.sub("@" + ZERO_WIDTH_SPACE, escape_control_characters(text))


def break_mentions(text: str) -> str:
    """Foreign text for a plain-text field (a file title): nothing is escaped, as nothing
    there is decoded, but anything that could read as a mention is broken."""
    return _ANY_MENTION.sub(lambda match: match.group() + ZERO_WIDTH_SPACE, text)


def without_broadcasts(mrkdwn: str) -> str:
    """The bot's own mrkdwn with any ``<!…>`` shown as text: the bot never notifies a whole
    channel, so whatever slipped into a notice can only have come from someone else."""
    return mrkdwn.replace("<!", "&lt;!")


def allowed_link(url: str) -> bool:
    """Whether a link target may stay a link: ``http``, ``https`` and ``mailto`` only."""
    return _LINK_START.match(url) is not None


def escape_markdown(text: str) -> str:
    """``text`` (standard Markdown) with every ping, broadcast and foreign link broken."""
    escaper = MarkdownEscaper()
    return escaper.feed(text) + escaper.finish()


class MarkdownEscaper:
    """``escape_markdown`` for text that arrives in pieces: ``feed`` each, then ``finish``.

    What comes out, joined, equals ``escape_markdown`` of the whole. A piece is held back
    only as far as a rule still needs to see what follows (at most ``_LOOKAHEAD``
    characters), and a line that may become a code fence until it ends.
    """

    def __init__(self) -> None:
        self._held = ""
        self._fence: Fence | None = None  # fence state at the start of the current line
        self._after: Fence | None = None  # ... and after it, once its kind is known
        self._code: bool | None = None  # whether the current line is code; None: not known yet

    def feed(self, piece: str) -> str:
        self._held += piece
        return self._drain(final=False)

    def finish(self) -> str:
        """Everything still held; call once when the text is complete."""
        return self._drain(final=True)

    @property
    def holding(self) -> int:
        """Characters fed and not yet given out."""
        return len(self._held)

    def _drain(self, *, final: bool) -> str:
        held = self._held
        ready = len(held) if final else _decided_until(held)
        out: list[str] = []
        start = 0
        while start < ready:
            newline = held.find("\n", start)
            line_end = len(held) if newline < 0 else newline + 1
            if self._code is None and not self._learn_line(
                held[start:line_end].removesuffix("\n"), complete=newline >= 0 or final
            ):
                break
            end = min(line_end, ready)
            out.append(_escape_span(held, start, end, code=bool(self._code)))
            start = end
            if end == line_end and newline >= 0:
                self._fence, self._code = self._after, None
        self._held = held[start:]
        return "".join(out)

    def _learn_line(self, line: str, *, complete: bool) -> bool:
        """Decide whether the current line is code; False while it may still become a fence."""
        if complete:
            self._after = next_fence(self._fence, line)
        elif could_be_fence_line(line):
            return False
        else:
            self._after = self._fence
        self._code = self._fence is not None or self._after is not None
        return True


def _decided_until(held: str) -> int:
    """Where the first rule that still needs more text to decide begins."""
    window = max(0, len(held) - _LOOKAHEAD)
    trigger = _TRIGGERS.search(held, window)
    return len(held) if trigger is None else trigger.start()


def _escape_span(held: str, start: int, end: int, *, code: bool) -> str:
    """``held[start:end]`` escaped; the rules look up to ``_LOOKAHEAD`` characters past it."""
    out: list[str] = []
    last = start
    rules = _IN_CODE if code else _IN_TEXT
    for match in rules.finditer(held, start, min(len(held), end + _LOOKAHEAD)):
        if match.start() >= end:
            break
        out += [held[last : match.end()], ZERO_WIDTH_SPACE]
        last = match.end()
    out.append(held[last:end])
    return "".join(out)
