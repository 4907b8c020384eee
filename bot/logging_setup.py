"""Logging: one line per event, ``text`` or ``json``, with secrets scrubbed before output."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Slack tokens, OpenAI-style keys and bearer headers, wherever they turn up in a log line.
_SECRET = re.compile(
    r"(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{6,}|(?i:bearer)\s+[^\s'\"]+)"
)
# What ends a line in a terminal or a log viewer. In the text format, where these appear in what
# is logged (often text someone else chose), they are shown escaped: one event, one line.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is shown.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def scrub(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


def _escape_line_breaks(text: str) -> str:
    return _LINE_BREAKS.sub(lambda found: repr(found.group())[1:-1], text)


class TextFormatter(logging.Formatter):
    """One line per event; a traceback follows on lines indented by four spaces, so a line at
    the margin always starts an event and logged text cannot forge one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        return _escape_line_breaks(f"{line} {extras}" if extras else line)

    def format(self, record: logging.LogRecord) -> str:
        event, *traceback = super().format(record).split("\n")
        return scrub("\n".join([event, *("    " + _escape_line_breaks(t) for t in traceback)]))


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Extras keep their JSON types, so log pipelines can sum a
    ``duration_ms`` or filter on a flag; values JSON has no type for are written as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter at INFO would include request bodies (message text); keep it at WARNING.
    for noisy in ("slack_bolt", "slack_sdk", "httpx", "httpcore", "aiohttp.access", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
