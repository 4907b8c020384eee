"""Background tasks: a failure is logged once, with the reference id its user was given, and
with nothing of what the error's text may quote."""

from __future__ import annotations

import logging
import time

import pytest

from bot.background import BackgroundTasks
from bot.errors import ModelStatusError

SAID = "the words of the prompt"


async def _fails(error: Exception) -> None:
    raise error


async def test_a_failure_is_logged_with_the_work_s_reference_id_and_no_raw_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    with caplog.at_level(logging.ERROR, logger="bot.background"):
        tasks.spawn(
            _fails(ModelStatusError(f"rejected: {SAID}", status=400, code="bad_prompt")),
            name="imagine",
            reference_id="ref-0000abcd",
        )
        await tasks.drain(time.monotonic() + 5)
    [record] = caplog.records
    assert record.reference_id == "ref-0000abcd"  # type: ignore[attr-defined]
    assert record.getMessage() == (
        "background task imagine failed: ModelStatusError: 400 bad_prompt"
    )
    assert SAID not in caplog.text and record.exc_info is None


async def test_a_bug_keeps_its_traceback_and_gets_a_reference_id_of_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    with caplog.at_level(logging.ERROR, logger="bot.background"):
        tasks.spawn(_fails(KeyError("missing")), name="feedback-thanks")
        await tasks.drain(time.monotonic() + 5)
    [record] = caplog.records
    assert record.getMessage() == "background task feedback-thanks failed: KeyError"
    assert str(record.reference_id).startswith("ref-")  # type: ignore[attr-defined]
    assert record.exc_info is not None and "_fails" in caplog.text
