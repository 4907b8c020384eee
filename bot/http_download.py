"""The one capped image download, shared by Slack files (``slack_input``) and image URLs the
model server returns (``openai_api``): a single GET that follows no redirect, accepts only a
200 with an ``image/*`` body, and stops reading at a byte cap, so a broken or hostile server
can never make the process hold more than the caller agreed to.

``httpx`` errors pass through unchanged: each caller converts them into its own layer's error."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from bot.errors import DownloadRefused

TOO_LARGE = "image_too_large"


async def fetch_image(
    client: httpx.AsyncClient,
    url: httpx.URL | str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of ``url``; ``DownloadRefused`` for any other status (a redirect included), a
    content type other than ``image/*``, or more than ``max_bytes`` (declared or received)."""
    async with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
        if response.status_code != 200:
            raise DownloadRefused(
                f"download answered HTTP {response.status_code}",
                code="download_status",
                status=response.status_code,
            )
        if not response.headers.get("content-type", "").lower().startswith("image/"):
            raise DownloadRefused("download did not return an image", code="not_an_image")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)
        # Chunks are joined once at the end: one copy of the body, not a growing buffer's.
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> DownloadRefused:
    return DownloadRefused(f"image larger than {max_bytes} bytes", code=TOO_LARGE)
