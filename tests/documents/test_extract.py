"""Text out of files' bytes, through pypdf and python-docx themselves: no I/O, no fakes."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.documents.extract import DocumentKind, UnreadableDocument, extract_text
from bot.documents.kinds import document_kind
from bot.documents.reader import _fair_shares
from tests.fakes.documents import make_docx, make_pdf


def test_a_pdf_read_in_part_says_how_many_pages_there_are() -> None:
    pdf = make_pdf([f"page {n} " + "word " * 50 for n in range(1, 11)])
    read = extract_text(DocumentKind.PDF, pdf, max_chars=600)
    assert read.text.startswith("page 1 word")
    assert len(read.text) == 600 and read.total_chars is None
    assert read.pages_total == 10 and read.pages_within(600) == 3


def test_a_pdf_read_whole_knows_its_length() -> None:
    read = extract_text(DocumentKind.PDF, make_pdf(["one", "two"]), max_chars=10_000)
    assert read.text == "one\n\ntwo" and read.total_chars == len(read.text)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (make_pdf(["x"], password="pw"), "it is password-protected"),
        (b"%PDF-1.7\nnothing else", "it doesn't look like a valid PDF"),
        (make_pdf([""]), "it has no text I can read (perhaps only scanned images)"),
    ],
)
def test_pdfs_that_cannot_be_read_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocument) as raised:
        extract_text(DocumentKind.PDF, data, max_chars=1000)
    assert raised.value.reason == reason


def test_word_documents_and_their_failures() -> None:
    read = extract_text(DocumentKind.DOCX, make_docx(["Title", "Body"]), max_chars=1000)
    assert read.text == "Title\nBody"
    with pytest.raises(UnreadableDocument, match=r"password-protected or in the old \.doc"):
        extract_text(DocumentKind.DOCX, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), 1000)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (65 * 1024 * 1024))
    with pytest.raises(UnreadableDocument, match="unpacks to more than I can read"):
        extract_text(DocumentKind.DOCX, bomb.getvalue(), 1000)
    garbled = io.BytesIO()
    with zipfile.ZipFile(garbled, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types><unclosed")  # lxml raises its own error
    with pytest.raises(UnreadableDocument, match=r"valid Word \(\.docx\) document"):
        extract_text(DocumentKind.DOCX, garbled.getvalue(), 1000)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("naïve café".encode(), "naïve café"),
        ("\ufeffwith a BOM".encode(), "with a BOM"),
        ("utf-16 text".encode("utf-16"), "utf-16 text"),
        ("Windows \u20ac".encode("cp1252"), "Windows \u20ac"),
    ],
)
def test_text_files_in_the_usual_encodings(data: bytes, text: str) -> None:
    assert extract_text(DocumentKind.TEXT, data, max_chars=100).text == text


def test_text_is_capped_but_its_length_known() -> None:
    read = extract_text(DocumentKind.TEXT, b"a" * 500, max_chars=100)
    assert (len(read.text), read.total_chars) == (100, 500)


@pytest.mark.parametrize(
    ("name", "mimetype", "kind"),
    [
        ("report.pdf", "application/pdf", DocumentKind.PDF),
        ("notes.docx", "application/octet-stream", DocumentKind.DOCX),
        ("main.py", "application/octet-stream", DocumentKind.TEXT),
        ("data.csv", "text/csv", DocumentKind.TEXT),
        ("config", "application/json", DocumentKind.TEXT),
        ("Dockerfile", "", DocumentKind.TEXT),
        ("old.doc", "application/msword", None),
        ("song.mp3", "audio/mpeg", None),
        ("photo.heic", "image/heic", None),
    ],
)
def test_kinds_by_type_or_name(name: str, mimetype: str, kind: DocumentKind | None) -> None:
    assert document_kind(name, mimetype) == kind


def test_small_files_keep_what_they_need_and_large_ones_share_the_rest() -> None:
    assert _fair_shares([100, 5000, 8000], 3000) == [100, 1450, 1450]
    assert _fair_shares([10, 20], 1000) == [10, 20]
    assert _fair_shares([10, 20], 0) == [0, 0]
