"""to_mrkdwn and plain_preview: standard Markdown rendered for mrkdwn-only places."""

from __future__ import annotations

import pytest

from bot.slack_output.markdown_split import slack_length
from bot.slack_output.mrkdwn import plain_preview, to_mrkdwn


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        pytest.param("# Title with **bold**", "*Title with bold*", id="heading"),
        pytest.param("Setext\n======\n\ntext", "*Setext*\n\ntext", id="setext-heading"),
        pytest.param(
            "**b**, *i*, _i_, ~~s~~, ***bi***", "*b*, _i_, _i_, ~s~, _*bi*_", id="emphasis"
        ),
        pytest.param(
            "[the_docs](https://ex.com/a_b?x=1&y=2) and snake_case_word",
            "<https://ex.com/a_b?x=1&amp;y=2|the_docs> and snake_case_word",
            id="link-with-underscores",
        ),
        pytest.param(
            "![a chart](https://x.io/c_d.png) ![](https://x.io/e.png)",
            "<https://x.io/c_d.png|a chart> <https://x.io/e.png>",
            id="images",
        ),
        pytest.param("<https://x.io/a_b>", "<https://x.io/a_b>", id="autolink"),
        pytest.param("[a|b](https://x.io/p|q>)", "<https://x.io/p%7Cq%3E|a|b>", id="pipe-in-url"),
        pytest.param("1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2", id="escaping"),
        pytest.param(
            "- a **bold** item\n  - nested *it*\n    1. deep\n- last",
            "• a *bold* item\n    • nested _it_\n        1. deep\n• last",
            id="nested-lists",
        ),
        pytest.param(
            "3. three\n\n   more text\n\n4. four",
            "3. three\n\n    more text\n\n4. four",
            id="loose-ordered-list",
        ),
        pytest.param(
            "Use `a*b_c*` and `x < y`", "Use `a*b_c*` and `x &lt; y`", id="code-span-untouched"
        ),
        pytest.param(
            "```python\nx = **kw  # [l](u) ~~s~~\n```",
            "```\nx = **kw  # [l](u) ~~s~~\n```",
            id="fenced-code-untouched",
        ),
        pytest.param(
            "~~~md\n```py\nprint(1)\n```\n~~~",
            "```\n``\u200b`py\nprint(1)\n``\u200b`\n```",
            id="tilde-fence-with-backticks",
        ),
        pytest.param("    indented code", "```\nindented code\n```", id="indented-code"),
        pytest.param(
            "| name | qty |\n|:--|--:|\n| **apple** | 3 |\n| 梨 | 12 |",
            "```\nname  | qty\n------+----\napple |   3\n梨    |  12\n```",
            id="table",
        ),
        pytest.param(
            "| link |\n|---|\n| [x](https://x.io) |",
            "```\nlink\n----------------\nx (https://x.io)\n```",
            id="table-link",
        ),
        pytest.param("> quoted\n>\n> more", "> quoted\n>\n> more", id="blockquote"),
        pytest.param("a\r\nb\r\n\r\nc", "a\nb\n\nc", id="crlf"),
        pytest.param("line one  \nline two", "line one\nline two", id="hard-break"),
        pytest.param("a\n\n---\n\nb", "a\n\n———\n\nb", id="rule"),
        pytest.param(
            "中文 **粗体** 😀 👨\u200d👩\u200d👧",
            "中文 *粗体* 😀 👨\u200d👩\u200d👧",
            id="cjk-emoji",
        ),
        pytest.param("<b>raw</b>", "&lt;b&gt;raw&lt;/b&gt;", id="html-is-text"),
        pytest.param("", "", id="empty"),
    ],
)
def test_to_mrkdwn(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


@pytest.mark.parametrize(
    ("markdown", "limit", "expected"),
    [
        pytest.param("**short**", 100, "*short*", id="fits"),
        pytest.param("one two three four five", 15, "one two three…", id="word-boundary"),
        pytest.param("see [docs](https://x.io/a_b) now", 20, "see…", id="link-not-cut"),
        pytest.param("a & b & c & d", 9, "a &amp;…", id="entity-not-cut"),
        pytest.param(
            "```\n" + "code line\n" * 10 + "```",
            40,
            "```\ncode line\ncode line\ncode line\n```…",
            id="code",
        ),
        pytest.param("😀" * 10, 9, "😀😀😀😀…", id="astral"),
    ],
)
def test_plain_preview(markdown: str, limit: int, expected: str) -> None:
    preview = plain_preview(markdown, limit)
    assert preview == expected
    assert slack_length(preview) <= limit
