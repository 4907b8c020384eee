"""Files in the fake Slack: the external upload flow, files.info, and files people shared."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_content import SlackError

Args = dict[str, Any]


@dataclass
class FakeUpload:
    """One file uploaded through files.getUploadURLExternal and, once shared, where it went."""

    file_id: str
    filename: str
    length: int
    data: bytes = b""
    received: bool = False
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shared: bool = False


@dataclass
class HostedFile:
    """A file someone shared in Slack (``add_file``), downloadable with the bot token. A large
    one is ``data`` followed by ``padding`` zero bytes, made only while it is served."""

    file_id: str
    name: str
    data: bytes
    mimetype: str
    url_private: str
    padding: int = 0

    @property
    def size(self) -> int:
        return len(self.data) + self.padding


class SlackFiles:
    """Uploads the bot made and files the test shared, each readable with the bot token."""

    def __init__(self, team_id: str, postable: Callable[[object], str]) -> None:
        self.root_url = ""
        self.uploads: list[FakeUpload] = []
        self.files: dict[str, HostedFile] = {}
        self._team_id = team_id
        self._postable = postable
        self._ids = itertools.count(1)
        self.handlers: dict[str, Callable[[Args], Args]] = {
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._file_info,
        }

    def add(self, name: str, data: bytes, mimetype: str, padding: int = 0) -> HostedFile:
        file_id = f"F{next(self._ids):08d}"
        url = self._private_url(file_id, name)
        hosted = HostedFile(file_id, name, data, mimetype, url, padding)
        self.files[file_id] = hosted
        return hosted

    def receive(self, file_id: str, data: bytes) -> bool:
        """Store bytes POSTed to an upload URL; False for a URL this fake never issued."""
        upload = next((u for u in self.uploads if u.file_id == file_id), None)
        if upload is None:
            return False
        upload.data, upload.received = data, True
        return True

    def _private_url(self, file_id: str, name: str) -> str:
        return f"{self.root_url}/files-pri/{self._team_id}-{file_id}/{name}"

    def _upload_url(self, args: Args) -> Args:
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", "[ERROR] length must be an integer") from None
        if length < 1:
            raise SlackError("invalid_arguments", "[ERROR] length must be positive")
        upload = FakeUpload(f"F{next(self._ids):08d}", str(args["filename"]), length)
        self.uploads.append(upload)
        return {
            "upload_url": f"{self.root_url}/upload/v1/{upload.file_id}",
            "file_id": upload.file_id,
        }

    def _complete_upload(self, args: Args) -> Args:
        wanted = args["files"]
        if not isinstance(wanted, list) or not all(isinstance(f, dict) for f in wanted):
            raise SlackError("invalid_arguments", "[ERROR] files must be a JSON array")
        by_id = {upload.file_id: upload for upload in self.uploads if upload.received}
        if any(f.get("id") not in by_id for f in wanted):
            raise SlackError("file_not_found")
        channel = args.get("channel_id") or str(args.get("channels") or "").split(",")[0]
        channel = self._postable(channel) if channel else None
        done = []
        for item in wanted:
            upload = by_id[item["id"]]
            upload.title = item.get("title") or upload.filename
            upload.channel_id, upload.shared = channel, channel is not None
            upload.thread_ts = args.get("thread_ts") or None
            upload.initial_comment = args.get("initial_comment") or None
            done.append({"id": upload.file_id, "title": upload.title})
        return {"files": done}

    def hosted_file(self, file_id: str) -> HostedFile | None:
        """A file the bot may read: one added by the test or one uploaded and received."""
        if file_id in self.files:
            return self.files[file_id]
        upload = next((u for u in self.uploads if u.file_id == file_id and u.received), None)
        if upload is None:
            return None
        url = self._private_url(file_id, upload.filename)
        return HostedFile(file_id, upload.filename, upload.data, "application/octet-stream", url)

    def _file_info(self, args: Args) -> Args:
        hosted = self.hosted_file(str(args["file"]))
        if hosted is None:
            raise SlackError("file_not_found")
        info = {
            "id": hosted.file_id,
            "name": hosted.name,
            "title": hosted.name,
            "mimetype": hosted.mimetype,
            "size": hosted.size,
        }
        return {"file": {**info, "url_private": hosted.url_private}}
