"""The context settings: MODEL_CONTEXT_TOKENS as one window and/or per-model entries,
HISTORY_MAX_TOKENS and ANSWER_MAX_TOKENS, and a clear line for a malformed value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "secret",
    "OPENAI_API_KEY": "sk-test",
}


def test_defaults() -> None:
    settings = Settings.from_env(BASE)
    assert settings.model_context_tokens == {}
    assert (settings.answer_max_tokens, settings.history_max_tokens) == (4_096, 16_000)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2500", {"*": 2_500}),
        ("gpt-4o=128000,llama3.1=8192", {"gpt-4o": 128_000, "llama3.1": 8_192}),
        (" 8192 , Llama3.1 = 4096 ,", {"*": 8_192, "llama3.1": 4_096}),
        ("*=32768", {"*": 32_768}),
    ],
)
def test_model_context_tokens_forms(value: str, parsed: dict[str, int]) -> None:
    settings = Settings.from_env({**BASE, "MODEL_CONTEXT_TOKENS": value})
    assert settings.model_context_tokens == parsed


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("lots", "'lots' is not a window"),
        ("gpt-4o=", "'gpt-4o=' is not a window"),
        ("llama3.1=-5", "'llama3.1=-5' is not a window"),
        ("4096,8192", "names '*' twice"),
    ],
)
def test_a_malformed_model_context_tokens_says_what_to_write(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**BASE, "MODEL_CONTEXT_TOKENS": value})
    assert raised.value.variable == "MODEL_CONTEXT_TOKENS"
    assert says in raised.value.fix


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**BASE, "MODEL_CONTEXT_TOKENS": "llama3.1=big", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Configuration error: MODEL_CONTEXT_TOKENS: 'llama3.1=big' is not a window: give a "
        "number of tokens (8192) or model=tokens entries (gpt-4o=128000,llama3.1=8192)"
    ]


def test_history_max_tokens_must_be_positive() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**BASE, "HISTORY_MAX_TOKENS": "0"})
    assert raised.value.variable == "HISTORY_MAX_TOKENS"
