"""split_markdown: every part fits, fences stay balanced, and no character is lost."""

from __future__ import annotations

import itertools
import random
import re

import pytest
import regex
from markdown_it import MarkdownIt

from bot.slack_output.markdown_split import (
    MarkdownPart,
    slack_length,
    split_markdown,
    split_markdown_parts,
)

_FENCE_LINE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAGS = "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea"


def open_fence_at_end(markdown: str) -> str | None:
    """Test oracle: the fence still open at the end of ``markdown`` (None when balanced)."""
    fence: str | None = None
    for raw in markdown.split("\n"):
        match = _FENCE_LINE.fullmatch(raw.rstrip("\r"))
        if fence is None:
            if match and not (match[1][0] == "`" and "`" in match[2]):
                fence = match[1]
        elif match and set(match[1]) == {fence[0]} and len(match[1]) >= len(fence):
            fence = fence if match[2].strip() else None
    return fence


def check_parts(text: str, limit: int) -> list[MarkdownPart]:
    """Assert every promise of split_markdown for ``text`` and return the parts."""
    parts = split_markdown_parts(text, limit)
    assert "".join(part.content for part in parts) == text
    assert split_markdown(text, limit) == [part.markdown for part in parts]
    for part in parts:
        assert part.content
        assert slack_length(part.markdown) <= limit
    for before, after in itertools.pairwise(parts):
        assert bool(before.closing) == bool(after.opening)
    if open_fence_at_end(text) is None:
        assert all(open_fence_at_end(part.markdown) is None for part in parts)
    return parts


def clusters_kept(text: str, parts: list[MarkdownPart]) -> bool:
    boundaries = {m.end() for m in regex.finditer(r"\X", text)}
    offset, cuts = 0, []
    for part in parts[:-1]:
        offset += len(part.content)
        cuts.append(offset)
    return all(cut in boundaries for cut in cuts)


PARAGRAPHS = "First paragraph here.\n\nSecond paragraph here.\n\nThird paragraph here.\n"
CODE = "Intro.\n\n```python title='x'\n" + "".join(f"print({i})\n" for i in range(12)) + "```\n"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("", 100, [], id="empty"),
        pytest.param("short", 100, ["short"], id="fits"),
        pytest.param(
            PARAGRAPHS,
            50,
            ["First paragraph here.\n\nSecond paragraph here.\n\n", "Third paragraph here.\n"],
            id="paragraph-boundary",
        ),
        pytest.param(
            "line one is here\nline two is here\nline three\n",
            40,
            ["line one is here\nline two is here\n", "line three\n"],
            id="line-boundary",
        ),
        pytest.param(
            "alpha beta gamma delta epsilon zeta eta theta",
            20,
            ["alpha beta gamma ", "delta epsilon zeta ", "eta theta"],
            id="word-boundary",
        ),
        pytest.param(
            "Read more at [the_docs](https://ex.com/a_b_c_d) today",
            40,
            ["Read more at ", "[the_docs](https://ex.com/a_b_c_d) today"],
            id="link-kept-whole",
        ),
        pytest.param(
            CODE,
            70,
            [
                "Intro.\n\n```python title='x'\nprint(0)\nprint(1)\nprint(2)\nprint(3)\n```",
                "```python title='x'\nprint(4)\nprint(5)\nprint(6)\nprint(7)\nprint(8)\n```",
                "```python title='x'\nprint(9)\nprint(10)\nprint(11)\n```\n",
            ],
            id="code-fence-carried",
        ),
        pytest.param(
            "~~~sh\necho `date` ```\necho two\necho three\n~~~\n",
            30,
            ["~~~sh\necho `date` ```\n~~~", "~~~sh\necho two\necho three\n~~~\n"],
            id="tilde-fence-with-backticks",
        ),
    ],
)
def test_split_markdown_cases(text: str, limit: int, expected: list[str]) -> None:
    check_parts(text, limit)
    assert split_markdown(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        pytest.param("````md\n```py\nx\n```\n" * 6 + "````\n", 40, id="four-backtick-fence"),
        pytest.param("a" * 9 + FAMILY * 6, 20, id="zwj-sequence-at-cut"),
        pytest.param("b" * 9 + FLAGS * 8, 13, id="flags-at-cut"),
        pytest.param("漢字かな交じり文。" * 30, 50, id="cjk-no-spaces"),
        pytest.param("e\u0301" * 40, 15, id="combining-marks"),
        pytest.param("para one\r\nline\r\n\r\npara two\r\n" * 10, 60, id="crlf"),
        pytest.param("1. step\n   ```bash\n   make\n   ```\n" * 8, 50, id="fence-in-list"),
        pytest.param("```\n" + "x" * 300 + "\n```\n", 100, id="long-line-in-code"),
        pytest.param("- **bold item** with text\n  - nested item\n" * 20, 90, id="nested-list"),
    ],
)
def test_split_markdown_invariants(text: str, limit: int) -> None:
    parts = check_parts(text, limit)
    assert len(parts) > 1
    assert clusters_kept(text, parts)


def test_crlf_pairs_stay_together() -> None:
    parts = check_parts("word " * 5 + "\r\n" + "word " * 20, 27)
    assert not any(part.content.endswith("\r") for part in parts)


def test_astral_characters_count_twice() -> None:
    parts = check_parts("\U0001f600" * 7_000, 12_000)
    assert [len(part.content) for part in parts] == [6_000, 1_000]


def test_code_block_moves_whole_to_next_part_when_it_fits() -> None:
    text = "Intro paragraph.\n\n" + "words " * 20 + "\n```js\nlet a = 1;\nlet b = 2;\n```\n"
    parts = check_parts(text, 150)
    assert parts[1].content.startswith("```js")
    assert not parts[0].closing


def test_limit_too_small_for_fence_raises() -> None:
    with pytest.raises(ValueError, match="limit too small"):
        split_markdown("```a-long-info-string\n" + "x\n" * 10 + "```\n", 24)


def long_answer(seed: int, size: int) -> str:
    rng = random.Random(seed)
    words = [
        "alpha",
        "beta",
        "snake_case",
        "漢字",
        "café",
        FAMILY,
        FLAGS,
        "[a_b](https://x.io/a_b)",
    ]
    chunks: list[str] = []
    while sum(map(len, chunks)) < size:
        kind = rng.random()
        if kind < 0.25:
            fence = rng.choice(["```", "~~~", "````"])
            body = "".join(f"    line {i} = '`' * {i}  # ```\n" for i in range(rng.randint(5, 400)))
            chunks.append(f"{fence}{rng.choice(['', 'python', 'js {linenos}'])}\n{body}{fence}\n\n")
        elif kind < 0.4:
            chunks.append("".join(f"- item **{rng.choice(words)}**\n" for _ in range(20)) + "\n")
        else:
            chunks.append(" ".join(rng.choice(words) for _ in range(rng.randint(5, 300))) + "\n\n")
    return "".join(chunks)


def code_contents(markdown: str) -> str:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return "".join(token.content for token in tokens if token.type == "fence")


def test_thirty_thousand_characters_with_code_blocks() -> None:
    text = long_answer(seed=7, size=30_000)
    assert len(text) >= 30_000
    assert text.count("```") >= 4
    parts = check_parts(text, 12_000)
    assert len(parts) >= 3
    assert all(len(part.markdown) <= 12_000 for part in parts)
    assert "".join(code_contents(part.markdown) for part in parts) == code_contents(text)
    assert clusters_kept(text, parts)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("limit", [300, 1_000, 4_000])
def test_random_answers(seed: int, limit: int) -> None:
    text = long_answer(seed, size=12_000)
    parts = check_parts(text, limit)
    assert clusters_kept(text, parts)
