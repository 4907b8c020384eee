"""Uploading files into a conversation with ``files_upload_v2`` (``files.getUploadURLExternal``
→ POST the bytes → ``files.completeUploadExternal``). Scope ``files:write``; the bot must be a
member of the channel, otherwise Slack answers ``not_in_channel``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_output.safe_text import break_mentions, without_broadcasts
from bot.slack_output.slack_calls import slack_errors_converted


@dataclass(frozen=True)
class UploadFile:
    data: bytes
    filename: str
    title: str


class SlackFiles:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def upload(
        self,
        *,
        channel: str,
        files: Sequence[UploadFile],
        initial_comment: str,
        thread_ts: str | None = None,
    ) -> list[str]:
        """Share ``files`` in ``channel`` (in the thread ``thread_ts`` if given) as one message
        with ``initial_comment`` (the bot's
        mrkdwn, anything foreign in it escaped by whoever built it); their ids. Titles are
        plain text, typically the prompt: mentions in them are broken here."""
        with slack_errors_converted("files_upload_v2"):
            response = await self._client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"file": f.data, "filename": f.filename, "title": break_mentions(f.title)}
                    for f in files
                ],
                initial_comment=without_broadcasts(initial_comment),
                thread_ts=thread_ts,
            )
        shared = response.get("files") or []
        return [str(f["id"]) for f in shared if isinstance(f, dict) and f.get("id")]
