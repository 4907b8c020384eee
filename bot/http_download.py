"""The one capped download, shared by Slack files (``slack_input``) and image URLs the model
server returns (``openai_api``): a single GET that follows no redirect, accepts only a 200 with
a body of the expected type (``image/*`` for images), and stops reading at a byte cap, so a
broken or hostile server can never make the process hold more than the caller agreed to.

``httpx`` errors pass through unchanged: each caller converts them into its own layer's error."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from bot.errors import DownloadRefused

TOO_LARGE = "image_too_large"
FILE_TOO_LARGE = "file_too_large"


def is_image_type(content_type: str) -> bool:
    return content_type.startswith("image/")


async def fetch_image(
    client: httpx.AsyncClient,
    url: httpx.URL | str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of ``url``; ``DownloadRefused`` for any other status (a redirect included), a
    content type other than ``image/*``, or more than ``max_bytes`` (declared or received)."""
    return await fetch_capped(
        client, url, max_bytes=max_bytes, headers=headers, accept=is_image_type, too_large=TOO_LARGE
    )


async def fetch_capped(
    client: httpx.AsyncClient,
    url: httpx.URL | str,
    *,
    max_bytes: int,
    accept: Callable[[str], bool],
    headers: Mapping[str, str] | None = None,
    too_large: str = FILE_TOO_LARGE,
) -> bytes:
    """As ``fetch_image``, for bodies whose lower-cased content type ``accept`` takes; a body
    over ``max_bytes`` is refused with the code ``too_large``."""
    async with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
        if response.status_code != 200:
            raise DownloadRefused(
                f"download answered HTTP {response.status_code}",
                code="download_status",
                status=response.status_code,
            )
        if not accept(response.headers.get("content-type", "").lower()):
            if accept is is_image_type:
                raise DownloadRefused("download did not return an image", code="not_an_image")
            raise DownloadRefused("download returned another kind of body", code="unexpected_type")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes, too_large)
        # Chunks are joined once at the end: one copy of the body, not a growing buffer's.
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes, too_large)
            chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int, code: str) -> DownloadRefused:
    return DownloadRefused(f"body larger than {max_bytes} bytes", code=code)
