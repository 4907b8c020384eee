from __future__ import annotations

import logging

import pytest

from bot.errors import ModelRateLimited, ModelStatusError, ModelTimeout
from bot.openai_api import RetryPolicy, with_retries

QUICK = RetryPolicy(base_delay=0.001, max_delay=0.004, jitter=False)


@pytest.mark.parametrize(
    ("failures", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 20.0), (30, 20.0)]
)
def test_delay_doubles_up_to_max_delay(failures: int, expected: float) -> None:
    assert RetryPolicy(jitter=False).delay(failures) == expected


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 2.0), (0.5, 1.75), (0.999, 1.5005)])
def test_jitter_takes_at_most_a_quarter_off(rand: float, expected: float) -> None:
    assert RetryPolicy().delay(3, rand=rand) == pytest.approx(expected)


def test_retry_after_is_a_floor_even_above_max_delay() -> None:
    policy = RetryPolicy(jitter=True)
    assert policy.delay(1, retry_after=0.1, rand=0.9) == pytest.approx(0.5 * (1 - 0.225))
    assert policy.delay(1, retry_after=45.0, rand=0.9) == 45.0


class _Script:
    """Raises the scripted errors in order, then returns "ok"; counts calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_retries_transient_errors_until_success() -> None:
    call = _Script(ModelTimeout("slow"), ModelStatusError("boom", status=503))
    assert await with_retries(QUICK, call) == "ok"
    assert call.calls == 3


@pytest.mark.parametrize(
    "error",
    [
        ModelStatusError("bad key", status=401, code="invalid_api_key"),
        ModelStatusError("bad request", status=400),
        ModelStatusError("quota", status=429, code="insufficient_quota"),
    ],
)
async def test_never_retries_non_retryable(error: ModelStatusError) -> None:
    call = _Script(error)
    with pytest.raises(ModelStatusError) as raised:
        await with_retries(QUICK, call)
    assert raised.value is error
    assert call.calls == 1


async def test_gives_up_after_max_attempts_with_last_error() -> None:
    last = ModelStatusError("down", status=500)
    call = _Script(ModelTimeout("a"), ModelTimeout("b"), ModelTimeout("c"), last)
    with pytest.raises(ModelStatusError) as raised:
        await with_retries(QUICK, call)
    assert raised.value is last
    assert call.calls == QUICK.max_attempts


async def test_gives_up_when_the_wait_would_exceed_max_total() -> None:
    call = _Script(ModelRateLimited("slow down", retry_after=30.0))
    with pytest.raises(ModelRateLimited):
        await with_retries(RetryPolicy(max_total=10.0), call)
    assert call.calls == 1


async def test_logs_each_retry_without_the_message(caplog: pytest.LogCaptureFixture) -> None:
    call = _Script(ModelStatusError("key sk-secret leaked by server", status=502, code="bad"))
    with caplog.at_level(logging.WARNING, logger="bot.openai_api.retry"):
        await with_retries(QUICK, call, label="chat stream")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "chat stream" in record.getMessage()
    assert "status=502" in record.getMessage()
    assert "sk-secret" not in record.getMessage()
