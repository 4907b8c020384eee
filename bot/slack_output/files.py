"""Uploading files into a conversation with ``files_upload_v2`` (``files.getUploadURLExternal``
→ POST the bytes → ``files.completeUploadExternal``). Scope ``files:write``; the bot must be a
member of the channel, otherwise Slack answers ``not_in_channel``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import SlackDeliveryError
from bot.slack_output.streaming import slack_error


def delivery_error(method: str, exc: SlackClientError) -> SlackDeliveryError:
    """The one conversion of slack_sdk errors for this package's file and note calls."""
    if isinstance(exc, SlackApiError):
        return SlackDeliveryError(method, slack_error(exc))
    return SlackDeliveryError(method, "request_failed")


@dataclass(frozen=True)
class UploadFile:
    data: bytes
    filename: str
    title: str


class SlackFiles:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def upload(
        self, *, channel: str, files: Sequence[UploadFile], initial_comment: str
    ) -> list[str]:
        """Share ``files`` in ``channel`` as one message with ``initial_comment``; their ids."""
        try:
            response = await self._client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"file": f.data, "filename": f.filename, "title": f.title} for f in files
                ],
                initial_comment=initial_comment,
            )
        except SlackClientError as exc:
            raise delivery_error("files_upload_v2", exc) from exc
        shared = response.get("files") or []
        return [str(f["id"]) for f in shared if isinstance(f, dict) and f.get("id")]
