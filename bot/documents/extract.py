"""Text out of a file's bytes: plain text and source code decoded, PDF pages through ``pypdf``,
Word documents through ``python-docx``.

Pure CPU work with no I/O: callers run it in a worker thread, never on the event loop. Each
reader stops once it has ``max_chars`` characters, so a long document costs only the part that
can be used; what could not be read raises ``UnreadableDocument`` with a sentence for the user.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from pypdf import PdfReader


log = logging.getLogger(__name__)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # password-protected Office files are OLE, not zip
_MAX_DOCX_UNPACKED = 64 * 1024 * 1024  # a zip bomb dressed as a .docx stops here
_MAX_PDF_PAGES = 2000


class DocumentKind(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    DOCX = "docx"


class UnreadableDocument(Exception):
    """The file's text cannot be had; ``reason`` completes "I couldn't read report.pdf: …"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ExtractedText:
    """Up to ``max_chars`` of a file's text, and how much there was: ``total_chars`` when the
    whole text was seen, else (a PDF read in part) ``pages_total``, with ``page_starts``
    saying where each page read begins in ``text``."""

    text: str
    total_chars: int | None
    pages_total: int | None = None
    page_starts: tuple[int, ...] = ()

    def pages_within(self, chars: int) -> int:
        """How many pages begin within the first ``chars`` characters."""
        return sum(1 for start in self.page_starts if start < chars)


_DAMAGED = {
    DocumentKind.PDF: "it doesn't look like a valid PDF",
    DocumentKind.DOCX: "it doesn't look like a valid Word (.docx) document",
    DocumentKind.TEXT: "it doesn't look like a text file",
}


def extract_text(kind: DocumentKind, data: bytes, max_chars: int) -> ExtractedText:
    try:
        if kind is DocumentKind.PDF:
            return _pdf_text(data, max_chars)
        if kind is DocumentKind.DOCX:
            return _docx_text(data, max_chars)
        return _plain_text(data, max_chars)
    except UnreadableDocument:
        raise
    except Exception as exc:
        # A damaged or hostile file makes the parsers raise far more than their own errors
        # (lxml's, zipfile's, KeyError, RecursionError…); none of them is the bot's to fix.
        log.info("could not read a %s file: %s", kind, type(exc).__name__)
        raise UnreadableDocument(_DAMAGED[kind]) from exc


def _capped(text: str, max_chars: int) -> ExtractedText:
    return ExtractedText(text[:max_chars], total_chars=len(text))


def _plain_text(data: bytes, max_chars: int) -> ExtractedText:
    """UTF-8 (with or without a byte-order mark), UTF-16 with one, else Windows-1252; bytes
    with NULs and no UTF-16 mark are a binary file, not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _capped(data.decode("utf-16", errors="replace"), max_chars)
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("it doesn't look like a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _capped(text, max_chars)


def _pdf_text(data: bytes, max_chars: int) -> ExtractedText:
    import pypdf  # imported on first use: it costs a process ~25 MB that most never need

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not _opens_without_password(reader):
        raise UnreadableDocument("it is password-protected")
    pages = reader.pages
    total = len(pages)
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    for page in pages[:_MAX_PDF_PAGES]:
        starts.append(length)
        text = (page.extract_text() or "").strip() + "\n\n"
        parts.append(text)
        length += len(text)
        if length >= max_chars:
            break
    text = "".join(parts).strip()
    if not text:
        raise UnreadableDocument("it has no text I can read (perhaps only scanned images)")
    read_all = len(starts) == total
    return ExtractedText(text[:max_chars], len(text) if read_all else None, total, tuple(starts))


def _opens_without_password(reader: PdfReader) -> bool:
    """PDFs locked only against editing open with the empty user password."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError:
        return False


def _docx_text(data: bytes, max_chars: int) -> ExtractedText:
    if data.startswith(_OLE_MAGIC):
        raise UnreadableDocument("it is password-protected or in the old .doc format")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > _MAX_DOCX_UNPACKED:
            raise UnreadableDocument("it unpacks to more than I can read")
    import docx  # imported on first use, like pypdf (~15 MB)

    document = docx.Document(io.BytesIO(data))
    return _capped("\n".join(_docx_lines(document)).strip(), max_chars)


def _docx_lines(document: DocxDocument) -> list[str]:
    """Paragraphs, then each table as tab-separated rows (python-docx keeps them apart)."""
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines.append("")
        lines.extend("\t".join(cell.text for cell in row.cells) for row in table.rows)
    return lines
