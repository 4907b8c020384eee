"""Issue 7: logs carry reference ids but never secrets or what people wrote, in text or JSON."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.engine import Engine

from bot.logging_setup import JsonFormatter, TextFormatter, configure_logging
from bot.store.models import InboxStatus
from tests.conftest import SIGNING_SECRET, SettingsFactory, start_bot
from tests.db_statements import anything, failing
from tests.fakes.openai import Error, FakeOpenAI, Reply
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import (
    event_body,
    mention_event,
    message_event,
    new_ts,
    signed_headers,
)
from tests.reliability.conftest import inbox_rows

QUESTION = "what is the airspeed of an unladen swallow"
ANSWER = "About eleven metres per second"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, put back as it was afterwards (configure_logging replaces handlers)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def captured(root_logger: logging.Logger) -> _Records:
    """Production logging at INFO, plus a handler that keeps the raw records (before the
    formatter scrubs anything, so the test proves what the code logs, not what the scrubber hides)."""
    configure_logging("info", "text")
    records = _Records()
    root_logger.addHandler(records)
    return records


def _everything(record: logging.LogRecord) -> str:
    text = f"{record.getMessage()} {vars(record)!r}"
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text


async def test_conversation_logs_hold_no_secrets_or_message_text_at_info(
    captured: _Records,
    make_settings: SettingsFactory,
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script_chat(Reply(ANSWER), Error(400, "invalid_request_error"))
    bot = await start_bot(make_settings())
    try:
        root = new_ts()
        await bot.post(event_body(mention_event(QUESTION, ts=root)))
        await fake_slack.wait_for_calls("chat.stopStream", 1)
        await bot.post(event_body(message_event(f"{QUESTION} again", thread_ts=root)))
        await fake_slack.wait_for_calls("chat.postMessage", 1)  # the failure notice
    finally:
        await bot.close()
    [notice] = [m for m in fake_slack.thread("C0001", root) if "reference" in m.visible_text()]
    reference = notice.visible_text().split("reference: `")[1].split("`")[0]

    logged = [_everything(r) for r in captured.records if r.levelno >= logging.INFO]
    assert any(reference in line for line in logged), "the user's reference id is in the log"
    for secret in (fake_slack.token, SIGNING_SECRET, fake_openai.api_key, QUESTION, ANSWER):
        assert not [line for line in logged if secret in line], secret


async def test_a_bad_signature_request_leaves_nothing_of_its_body_in_the_logs(
    captured: _Records, make_settings: SettingsFactory
) -> None:
    """Issue 11, defect 4: Bolt logs the body of every request it refuses at INFO."""
    body = event_body(mention_event(f"{QUESTION}\n2026-01-01 00:00:00,000 ERROR bot: forged"))
    bot = await start_bot(make_settings())
    try:
        over_http = await bot.post(body, secret="not-the-signing-secret")
        # Bolt's own check too (the HTTP route refuses before Bolt sees the request).
        headers = signed_headers("not-the-signing-secret", body)
        refused = await bot.server.bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    finally:
        await bot.close()
    assert (over_http.status_code, refused.status) == (401, 401)
    logged = [_everything(r) for r in captured.records if r.levelno >= logging.INFO]
    assert not [line for line in logged if QUESTION in line or "forged" in line]


def test_logged_text_cannot_forge_a_log_line() -> None:
    """Issue 11, defect 4: text someone else chose stays inside its own line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("tests.text")
    logger.addHandler(handler)
    logger.propagate = False
    forged = "\n2026-01-01 00:00:00,000 ERROR bot: forged\r\u2028"
    try:
        logger.warning("Slack said %s", forged, extra={"reference_id": forged})
        try:
            raise RuntimeError(f"boom{forged}")
        except RuntimeError:
            logger.exception("delivery failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    events = [line for line in lines if not line.startswith("    ")]
    assert len(events) == 2 and "Slack said" in events[0] and "delivery failed" in events[1]
    assert "RuntimeError: boom" in stream.getvalue()


def _json_lines(write: Callable[[logging.Logger], None]) -> list[dict[str, Any]]:
    """What ``write`` logs, formatted by JsonFormatter and parsed back line by line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        write(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_format_is_one_parsable_object_per_line_with_extras_and_no_tokens() -> None:
    def write(logger: logging.Logger) -> None:
        logger.warning("answer failed with xoxb-123-secret", extra={"reference_id": "ref-1"})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("delivery failed", extra={"reference_id": "ref-2"})

    first, second = _json_lines(write)
    assert first["level"] == "warning" and first["reference_id"] == "ref-1"
    assert "xoxb-123-secret" not in first["message"]
    assert second["reference_id"] == "ref-2" and "RuntimeError: boom" in second["exception"]


def test_json_extras_keep_their_types() -> None:
    extra = {"duration_ms": 12, "ratio": 0.25, "retried": True, "lease": None, "db": Path("/x")}
    [line] = _json_lines(lambda logger: logger.warning("answered slowly", extra=extra))
    assert line["duration_ms"] == 12 and type(line["duration_ms"]) is int
    assert line["ratio"] == 0.25
    assert line["retried"] is True and line["lease"] is None
    assert line["db"] == "/x", "what JSON has no type for is written as text"


def test_log_format_json_installs_the_json_formatter(root_logger: logging.Logger) -> None:
    configure_logging("info", "json")
    [handler] = root_logger.handlers
    assert isinstance(handler.formatter, JsonFormatter)


async def test_a_database_outage_keeps_message_text_out_of_logs_and_stored_errors(
    captured: _Records, make_settings: SettingsFactory, fake_slack: FakeSlack, sqlite_url: str
) -> None:
    """Issue 11, defect 5: database errors quote their statement, and the driver's error its
    parameters: the inbox payload and the turn, with what the user wrote."""
    marker = "zebra-quartz-7f3a"
    bot = await start_bot(make_settings(INBOX_LEASE_SECONDS="2"))
    storing_turns = failing(
        bot.server.services.engine.sync_engine,
        lambda statement, _: statement.startswith("INSERT INTO messages"),
    )
    with storing_turns:  # until the bot has stopped, so its last attempt fails too
        try:
            with failing(Engine, anything):  # down altogether: intake cannot record it
                refused = await bot.post(event_body(mention_event(f"{marker} first")))
            await bot.post(event_body(mention_event(f"{marker} second")))
            await fake_slack.wait_for_calls("chat.postMessage", 1, timeout=10)  # the notice
        finally:
            await bot.close()
    assert refused.status_code >= 500  # so Slack delivers it again
    logged = [_everything(r) for r in captured.records if r.levelno >= logging.INFO]
    assert any("OperationalError" in line for line in logged), "the outage was logged"
    assert not [line for line in logged if marker in line]
    [row] = await inbox_rows(sqlite_url)
    assert row.status == InboxStatus.FAILED
    assert row.last_error is not None and marker not in row.last_error
