"""Attached files read as text for the model: downloaded from Slack once, their text extracted
in a worker thread, and fitted into the tokens one message may spend on files, a long file
excerpted from its start with a note saying how much was used.

Every file that is not a picture the model looks at gets an outcome: its text, or a note for
the person (and a line for the model) saying why it was not read. Nothing here raises for a
bad file; the answer goes on without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.byte_budget import MIB, ByteBudget
from bot.conversations.tokens import TokenCounter
from bot.conversations.values import IncomingFile
from bot.documents.extract import (
    DocumentKind,
    ExtractedText,
    UnreadableDocument,
    extract_text,
)
from bot.documents.kinds import document_kind
from bot.errors import BotError

log = logging.getLogger(__name__)

CHARS_PER_TOKEN_CAP = 8
"""Text read per token of budget: more than any tokenizer packs, so the cut is the budget's."""
_HEADER_TOKENS = 24  # the lines framing each file's text, counted before it is fitted
READABLE = "text, Markdown, CSV, JSON, source code, PDF and Word (.docx) files"


class FileSource(Protocol):
    async def download_file(self, url: str, max_bytes: int) -> bytes: ...


@dataclass(frozen=True)
class DocumentLimits:
    """``max_bytes`` per file, ``max_tokens`` of file text per message, ``max_files`` read per
    message, and the process's ``in_flight`` byte budget, held from download to extraction."""

    max_bytes: int
    max_tokens: int
    in_flight: ByteBudget
    max_files: int = 10

    def __post_init__(self) -> None:
        if self.max_bytes > self.in_flight.capacity:
            raise ValueError("a file must fit in the in-flight budget")


@dataclass(frozen=True)
class ReadDocument:
    """One attached file as the conversation keeps it: ``text`` is what the model is given
    (the file's text framed by its name, or a line saying why it was not read), ``tokens`` its
    count, and ``note`` what the person who attached it is told (plain text), if anything."""

    file_id: str
    name: str
    mimetype: str
    text: str
    tokens: int
    note: str | None = None


@dataclass(frozen=True)
class _Extracted:
    file: IncomingFile
    extracted: ExtractedText
    tokens: int


class DocumentReader:
    def __init__(
        self,
        source: FileSource,
        counter: TokenCounter,
        limits: DocumentLimits,
        *,
        concurrency: int = 2,
    ) -> None:
        self._source = source
        self._counter = counter
        self._limits = limits
        self._extracting = asyncio.Semaphore(concurrency)

    async def read(
        self, files: Sequence[IncomingFile], model: str, max_tokens: int
    ) -> list[ReadDocument]:
        """Every file of ``files`` with its outcome, in order; their texts together stay within
        ``max_tokens`` (and ``DocumentLimits.max_tokens``)."""
        budget = min(max_tokens, self._limits.max_tokens)
        outcomes: dict[str, ReadDocument] = {}
        wanted: list[tuple[IncomingFile, DocumentKind]] = []
        for file in files:
            kind = document_kind(file.name, file.mimetype)
            refusal = self._refusal(file, kind, len(wanted))
            if refusal is not None:
                outcomes[file.id] = self._skipped(file, model, refusal)
            elif kind is not None:
                wanted.append((file, kind))
        extracted: list[_Extracted] = []
        for file, kind in wanted:
            try:
                extracted.append(await self._extract(file, kind, model, budget))
            except _NotRead as exc:
                outcomes[file.id] = self._skipped(file, model, exc.note)
        shares = _fair_shares(
            [max(e.tokens, 1) for e in extracted], budget - _HEADER_TOKENS * len(extracted)
        )
        for item, share in zip(extracted, shares, strict=True):
            outcomes[item.file.id] = await self._fitted(item, share, model)
        return [outcomes[f.id] for f in files if f.id in outcomes]

    def _refusal(self, file: IncomingFile, kind: DocumentKind | None, taken: int) -> str | None:
        name = file.name or file.id
        if kind is None:
            if file.mimetype.startswith("image/"):
                return f"I can only look at PNG, JPEG, GIF and WebP images, so I skipped {name}."
            return f"I can't read {name}: I read {READABLE}."
        if file.size > self._limits.max_bytes:
            return (
                f"{name} is {file.size / MIB:.1f} MB, more than the "
                f"{self._limits.max_bytes / MIB:g} MB I read, so I skipped it."
            )
        if taken >= self._limits.max_files:
            return (
                f"I read {self._limits.max_files} files per message at most, so I skipped {name}."
            )
        return None

    async def _extract(
        self, file: IncomingFile, kind: DocumentKind, model: str, budget: int
    ) -> _Extracted:
        name = file.name or file.id
        size = file.size if 0 < file.size <= self._limits.max_bytes else self._limits.max_bytes
        max_chars = max(budget, 1) * CHARS_PER_TOKEN_CAP
        async with self._limits.in_flight.hold(size):
            try:
                data = await self._source.download_file(file.url_private, size)
            except BotError as exc:
                log.warning("could not download an attached file: %s", exc)
                raise _NotRead(
                    f"I couldn't open {name} from Slack, so I answered without it."
                ) from exc
            try:
                async with self._extracting:
                    return await asyncio.to_thread(
                        self._extract_now, file, kind, data, model, max_chars
                    )
            except UnreadableDocument as exc:
                raise _NotRead(f"I couldn't read {name}: {exc.reason}.") from exc

    def _extract_now(
        self, file: IncomingFile, kind: DocumentKind, data: bytes, model: str, max_chars: int
    ) -> _Extracted:
        """In a worker thread: the file's text and its tokens."""
        extracted = extract_text(kind, data, max_chars)
        if not extracted.text.strip():
            raise UnreadableDocument("it is empty")
        return _Extracted(file, extracted, self._counter.count_text(model, extracted.text))

    async def _fitted(self, item: _Extracted, share: int, model: str) -> ReadDocument:
        """The file framed by its name in ``share`` tokens plus its frame's allowance: whole,
        or its start with a note saying how much that is."""
        file, extracted = item.file, item.extracted
        name = file.name or file.id
        allowance = share + _HEADER_TOKENS
        if extracted.total_chars == len(extracted.text) and item.tokens <= share:
            whole = self._kept(file, model, _framed(name, extracted.text, None), None)
            if whole.tokens <= allowance:
                return whole
        # The note names numbers not known yet: its longest form, plus a little, is reserved.
        longest = _excerpt_note(name, extracted, 0, share) or ""
        room = allowance - self._counter.count_text(model, _framed(name, "", longest)) - 4
        if room <= 0:
            return self._skipped(file, model, f"There was no room left for {name} in this message.")
        text = await asyncio.to_thread(self._counter.head, model, extracted.text, room)
        used = min(item.tokens, room)
        note = _excerpt_note(name, extracted, len(text), used)
        return self._kept(file, model, _framed(name, text, note), note)

    def _kept(self, file: IncomingFile, model: str, text: str, note: str | None) -> ReadDocument:
        tokens = self._counter.count_text(model, text)
        return ReadDocument(file.id, file.name, file.mimetype, text, tokens, note)

    def _skipped(self, file: IncomingFile, model: str, note: str) -> ReadDocument:
        return self._kept(file, model, f"[{note}]", note)


class _NotRead(Exception):
    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def _fair_shares(needs: Sequence[int], budget: int) -> list[int]:
    """Split ``budget`` so that files needing less than an even share take only what they need
    and the rest share what is left (smallest first)."""
    shares = [0] * len(needs)
    left = max(budget, 0)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    for done, index in enumerate(order):
        share = min(needs[index], left // (len(needs) - done))
        shares[index] = share
        left -= share
    return shares


def _excerpt_note(name: str, extracted: ExtractedText, used_chars: int, tokens: int) -> str | None:
    """What the person is told when only part of the file reached the model, else None."""
    if extracted.total_chars is not None and used_chars >= extracted.total_chars:
        return None
    about = f"about {tokens:,} tokens"
    if extracted.pages_total is not None:
        pages = max(extracted.pages_within(used_chars), 1)
        return (
            f"{name} is long, so I read only its first {pages} of {extracted.pages_total} "
            f"pages ({about})."
        )
    total = extracted.total_chars or used_chars
    percent = max(1, min(99, round(100 * used_chars / max(total, 1))))
    return f"{name} is long, so I read only the first {percent}% of it ({about})."


def _framed(name: str, text: str, note: str | None) -> str:
    """The file's text as the model sees it, between lines naming it (and saying when it is an
    excerpt, so the model does not answer as if it had read the rest)."""
    opening = f"----- attached file: {name}" + (f" (excerpt; {note})" if note else "") + " -----"
    return f"{opening}\n{text.strip()}\n----- end of {name} -----"
