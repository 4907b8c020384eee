"""Attached files read as text: which kinds, how their text is extracted, and how much of it
one message may give the model."""

from __future__ import annotations

from bot.documents.reader import DocumentLimits, DocumentReader, ReadDocument

__all__ = ["DocumentLimits", "DocumentReader", "ReadDocument"]
