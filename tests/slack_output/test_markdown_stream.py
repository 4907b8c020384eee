"""StreamSplitter: any chunking of an answer obeys split_markdown's rules, with low latency."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

import pytest

from bot.slack_output.markdown_split import (
    AppendText,
    NextMessage,
    Segment,
    StreamSplitter,
    slack_length,
)
from tests.slack_output.test_markdown_split import (
    FAMILY,
    FLAGS,
    long_answer,
    open_fence_at_end,
)


@dataclass
class Message:
    opening: str
    appended: list[str] = field(default_factory=list)
    closing: str = ""

    @property
    def markdown(self) -> str:
        return self.opening + "".join(self.appended) + self.closing


def play(segments: list[Segment]) -> list[Message]:
    """What a streaming writer would post, message by message."""
    messages = [Message("")]
    for segment in segments:
        if isinstance(segment, AppendText):
            assert segment.text
            messages[-1].appended.append(segment.text)
        else:
            messages[-1].closing = segment.close_with
            messages.append(Message(segment.start_with))
    return messages


def stream(
    text: str, splitter: StreamSplitter, rng: random.Random, max_chunk: int
) -> list[Segment]:
    segments: list[Segment] = []
    start = 0
    while start < len(text):
        end = start + rng.randint(1, max_chunk)
        segments += splitter.feed(text[start:end])
        start = end
    return segments + splitter.finish()


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize(
    ("limit", "lookahead", "max_chunk"),
    [(12_000, 1_000, 40), (1_000, 200, 5), (400, 100, 60), (300, 0, 3), (500, 500, 25)],
)
def test_random_chunkings_keep_the_rules(
    seed: int, limit: int, lookahead: int, max_chunk: int
) -> None:
    rng = random.Random(seed)
    text = long_answer(seed, size=rng.choice([2_000, 15_000]))
    segments = stream(text, StreamSplitter(limit, lookahead), rng, max_chunk)
    messages = play(segments)
    assert "".join(s.text for s in segments if isinstance(s, AppendText)) == text
    for message in messages:
        assert message.appended
        assert slack_length(message.markdown) <= limit
        assert open_fence_at_end(message.markdown) is None
    for before, after in itertools.pairwise(messages):
        assert bool(before.closing) == bool(after.opening)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("limit", "max_chunk"), [(12_000, 400), (400, 60), (300, 3)])
def test_text_within_the_room_never_cuts_and_the_room_is_not_empty_far_from_the_limit(
    seed: int, limit: int, max_chunk: int
) -> None:
    rng = random.Random(seed)
    long_fence = "`" * (limit // 4) + "py\n"  # its closing is as long as it is
    text = long_answer(seed, size=5 * limit).replace("```python\n", long_fence)
    splitter = StreamSplitter(limit, lookahead=limit // 10)
    checked = start = 0
    while start < len(text):
        chunk = text[start : start + rng.randint(1, max_chunk)]
        room = splitter.room()
        segments = splitter.feed(chunk)
        if 2 * slack_length(chunk) <= room:
            checked += 1
            assert all(isinstance(segment, AppendText) for segment in segments)
        start += len(chunk)
    assert checked >= len(text) / max_chunk / 4
    fresh = StreamSplitter(limit)
    assert fresh.room() == limit - 2


def test_text_is_passed_on_at_once_far_from_the_limit() -> None:
    splitter = StreamSplitter(limit=1_000, lookahead=100)
    assert splitter.feed("Hello, ") == [AppendText("Hello")]
    assert splitter.feed("world.\n") == [AppendText(", world.\n")]
    assert splitter.finish() == []


@pytest.mark.parametrize(
    ("deltas", "expected"),
    [
        pytest.param(["``", "`py", "\nx"], [[], [], [AppendText("```py\n")]], id="maybe-fence"),
        pytest.param(
            ["a\U0001f468", "\u200d\U0001f469 b"],
            [[AppendText("a")], [AppendText("\U0001f468\u200d\U0001f469 ")]],
            id="zwj",
        ),
        pytest.param(
            ["x " + FLAGS[:3], FLAGS[3:] + " y"],
            [[AppendText("x " + FLAGS[:2])], [AppendText(FLAGS[2:] + " ")]],
            id="flag",
        ),
        pytest.param(
            ["line\r", "\nnext"], [[AppendText("line")], [AppendText("\r\nnex")]], id="crlf"
        ),
        pytest.param(
            ["say  # ``", "`\n"], [[AppendText("sa")], [AppendText("y  # ```\n")]], id="tail"
        ),
    ],
)
def test_unfinished_fence_lines_and_graphemes_are_held(
    deltas: list[str], expected: list[list[Segment]]
) -> None:
    splitter = StreamSplitter(limit=100, lookahead=10)
    fed = [splitter.feed(delta) for delta in deltas]
    assert fed == expected
    segments = [segment for segments in fed for segment in segments] + splitter.finish()
    assert "".join(s.text for s in segments if isinstance(s, AppendText)) == "".join(deltas)


def test_near_the_limit_text_is_held_until_a_paragraph_ends() -> None:
    splitter = StreamSplitter(limit=100, lookahead=40)
    assert splitter.feed("a" * 50 + "\n\n") == [AppendText("a" * 50 + "\n\n")]
    assert splitter.feed("b" * 20 + " ") == []
    assert splitter.feed("\n\ncc") == [AppendText("b" * 20 + " \n\n")]
    segments = splitter.feed("c" * 40)
    assert segments == [NextMessage("", ""), AppendText("c" * 41)]


def test_cut_inside_code_carries_the_fence() -> None:
    splitter = StreamSplitter(limit=60, lookahead=20)
    text = "~~~js title\n" + "".join(f"say({i})\n" for i in range(10)) + "~~~\n"
    messages = play(
        [segment for char in text for segment in splitter.feed(char)] + splitter.finish()
    )
    assert [m.markdown for m in messages] == [
        "~~~js title\nsay(0)\nsay(1)\nsay(2)\nsay(3)\nsay(4)\nsay(5)\n~~~",
        "~~~js title\nsay(6)\nsay(7)\nsay(8)\nsay(9)\n~~~\n",
    ]


def test_emoji_stream_never_splits_a_cluster() -> None:
    text = (FAMILY + " ") * 200
    splitter = StreamSplitter(limit=100, lookahead=10)
    messages = play(stream(text, splitter, random.Random(3), 7))
    assert all("".join(m.appended).startswith(FAMILY) for m in messages)
