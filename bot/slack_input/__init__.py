"""Reading from Slack (threads, shared files): turns Slack's data into the domain's typed values."""

from __future__ import annotations

from bot.slack_input.files import SlackFileDownloader
from bot.slack_input.thread_reader import SlackThreadReader

__all__ = ["SlackFileDownloader", "SlackThreadReader"]
