"""safe_text: text the bot did not write can neither ping nor link anywhere but the web and mail."""

from __future__ import annotations

import pytest

from bot.slack_output.mrkdwn import to_mrkdwn
from bot.slack_output.safe_text import (
    ZERO_WIDTH_SPACE,
    MarkdownEscaper,
    escape_markdown,
    escape_mrkdwn,
    without_broadcasts,
)
from tests.fakes.slack_mentions import slack_sequences
from tests.slack_output.streaming_helpers import long_answer

HOSTILE = [
    "<!channel> <!here> <!everyone> <!subteam^S123> <!subteam^S1|@team> <@U123> <@W9|bob> <#C1>",
    "<!CHANNEL> <!Here|here> <!date^1392734382^{date}^https://x.io|x>",
    "[x](!channel) [y](javascript:alert(1)) [z](<!here>) [w]( !everyone) ![i](!here)",
    "[ref]: !channel\n[two]:\n  !here\n\nsee [ref] and [x][two]",
    "&lt;!channel&gt; &#60;!here&#62; &#x3c;@U1&#x3e; \\<!channel>",
    "@here @channel @everyone @HERE and `<!here>` `<@U1>` and ``[x](!here)``",
    "```\n<!channel> <@U1> <#C1> <!subteam^S1>\n```\n~~~sh\n<!here>\n~~~",
    "- item <!here>\n  ```\n  <@U1>\n  ```\n> quoted <!channel>",
]

KEPT = [
    "[docs](https://example.com/a_b?x=1&y=2) and [Mail](mailto:a@b.co) and [S](HTTP://X.IO)",
    "<https://example.com/x> <mailto:team@example.com>",
    "```html\n<!DOCTYPE html>\n<!-- note --> <b>&amp;</b> Vec<String> a<b #include <stdio.h>\n```",
    "plain prose: 2 > 1, fish & chips, **bold** _it_ ~~s~~ a@b.co",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_ping_broadcast_or_foreign_link_survives_in_markdown(text: str) -> None:
    assert slack_sequences(text, markdown=True)  # the oracle sees the danger
    escaped = escape_markdown(text)
    assert slack_sequences(escaped, markdown=True) == []
    assert escaped.replace(ZERO_WIDTH_SPACE, "") == text  # the breaks cannot be seen


@pytest.mark.parametrize("text", [*KEPT, long_answer(3_000)])
def test_links_to_the_web_and_mail_and_code_blocks_are_left_exactly_as_written(
    text: str,
) -> None:
    assert escape_markdown(text) == text


def test_inline_code_stays_readable_and_code_blocks_lose_only_the_pings() -> None:
    escaped = escape_markdown("Use `Vec<String>` or `<@U1>`:\n```\n<!-- x --> <@U1>\n```")
    assert escaped == (
        f"Use `Vec<{ZERO_WIDTH_SPACE}String>` or `<{ZERO_WIDTH_SPACE}@U1>`:\n"
        f"```\n<!-- x --> <{ZERO_WIDTH_SPACE}@U1>\n```"
    )


@pytest.mark.parametrize("text", [*HOSTILE, *KEPT])
def test_text_escaped_in_pieces_comes_out_as_escaped_whole(text: str) -> None:
    whole = escape_markdown(text)
    for size in (1, 2, 3, 5, 8):
        escaper = MarkdownEscaper()
        pieces = [escaper.feed(text[i : i + size]) for i in range(0, len(text), size)]
        assert "".join(pieces) + escaper.finish() == whole
    for cut in range(len(text) + 1):
        escaper = MarkdownEscaper()
        assert escaper.feed(text[:cut]) + escaper.feed(text[cut:]) + escaper.finish() == whole


def test_streamed_text_is_held_back_only_around_what_is_still_undecided() -> None:
    escaper = MarkdownEscaper()
    assert escaper.feed("Hello there, ") == "Hello there, "
    assert escaper.feed("see <htt") == "see "
    assert escaper.feed("ps://x.io> now and a long tail of words after it all") == (
        "<https://x.io> now and a long tail of words after it all"
    )
    assert escaper.feed("\n```") == "\n"  # maybe a code fence: held to the end of its line
    assert escaper.finish() == "```"


@pytest.mark.parametrize("text", HOSTILE)
def test_the_mrkdwn_renderer_escapes_and_never_links_elsewhere(text: str) -> None:
    assert slack_sequences(to_mrkdwn(text), markdown=False) == []


def test_mrkdwn_links_only_to_the_web_and_mail_and_shows_other_targets_as_text() -> None:
    rendered = to_mrkdwn("[a](https://x.io/@here) [m](mailto:a@b.co) [x](!channel) [r](/rel)")
    assert rendered == ("<https://x.io/@here|a> <mailto:a@b.co|m> x (!channel) r (/rel)")


def test_escape_mrkdwn_makes_a_file_name_or_prompt_plain_text() -> None:
    assert (
        escape_mrkdwn("<!channel> & @here.pdf")
        == f"&lt;!channel&gt; &amp; @{ZERO_WIDTH_SPACE}here.pdf"
    )


def test_without_broadcasts_leaves_the_bots_own_mentions_and_links() -> None:
    assert without_broadcasts("<@U1> in <#C1>: <!here> <https://x.io|x>") == (
        "<@U1> in <#C1>: &lt;!here> <https://x.io|x>"
    )
