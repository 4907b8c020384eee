"""Downloading files people shared in Slack. The bot token goes only to Slack's own file hosts:
the Web API's origin (``SLACK_API_URL``), ``files.<that host>``, files.slack.com and
slack-files.com — never to a URL merely because an event said so."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from bot.errors import DownloadRefused, SlackFileError
from bot.http_download import FILE_TOO_LARGE, TOO_LARGE, fetch_capped, is_image_type

_SLACK_FILE_HOSTS = frozenset({"files.slack.com", "slack-files.com"})


class SlackFileDownloader:
    """One long-lived HTTP client for downloads; ``aclose()`` it at shutdown."""

    def __init__(
        self,
        token: str | Callable[[], str | None],
        api_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        api = urlsplit(api_url)
        # A callable gives the token of the workspace being served (OAuth mode).
        self._token = token if callable(token) else lambda: token
        self._api_origin = (api.scheme, api.netloc)
        self._hosts = _SLACK_FILE_HOSTS | {f"files.{api.hostname}"}
        # Redirects are not followed: Slack answers a bad token with a redirect to a sign-in page.
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def is_slack_file_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) == self._api_origin:
            return True
        return parts.scheme == "https" and parts.port is None and parts.hostname in self._hosts

    async def download_image(self, url: str, max_bytes: int) -> bytes:
        """An image's bytes; ``SlackFileError`` for a foreign host, a refusal (Slack sends a
        sign-in page, not an image), or more than ``max_bytes``."""
        return await self._download(url, max_bytes, is_image_type, TOO_LARGE)

    async def download_file(self, url: str, max_bytes: int) -> bytes:
        """Any shared file's bytes, on the same terms; an HTML body is taken for Slack's
        sign-in page (HTML files are read as what they are only when Slack serves them so)."""
        return await self._download(url, max_bytes, _not_a_sign_in_page(url), FILE_TOO_LARGE)

    async def _download(
        self, url: str, max_bytes: int, accept: Callable[[str], bool], too_large: str
    ) -> bytes:
        if not self.is_slack_file_url(url):
            raise SlackFileError("not a Slack file host")
        headers = {"Authorization": f"Bearer {self._token() or ''}"}
        try:
            return await fetch_capped(
                self._client,
                url,
                max_bytes=max_bytes,
                headers=headers,
                accept=accept,
                too_large=too_large,
            )
        except DownloadRefused as exc:
            raise SlackFileError(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise SlackFileError(f"download failed: {type(exc).__name__}") from exc


def _not_a_sign_in_page(url: str) -> Callable[[str], bool]:
    wants_html = urlsplit(url).path.lower().endswith((".html", ".htm"))
    return lambda content_type: wants_html or not content_type.startswith("text/html")
