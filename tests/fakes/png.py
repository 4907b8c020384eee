"""Tiny but real PNG files, so image code paths handle genuine bytes rather than placeholders."""

from __future__ import annotations

import hashlib
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def make_png(seed: int = 0, width: int = 4, height: int = 4) -> bytes:
    """An RGB PNG whose pixels derive from ``seed``: different seeds give different files."""
    colour = hashlib.sha256(str(seed).encode()).digest()[:3]
    row = b"\x00" + colour * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )
