"""Exponential backoff with jitter for transient model-server failures, honouring the wait the
server asked for and never retrying what cannot succeed (401, 400, content policy …)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.errors import ModelError, ModelRateLimited

_T = TypeVar("_T")
RetryWait = Callable[[ModelError, float], Awaitable[None]]
"""Told before each wait between attempts: the error and the seconds about to be waited."""
_JITTER_SHARE = 0.25

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` counts the first try; ``max_total`` bounds the seconds spent, waits
    included, so a retry that could not finish in time is not started."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_total: float = 60.0
    jitter: bool = True

    def delay(self, failures: int, *, retry_after: float | None = None, rand: float = 0.0) -> float:
        """Seconds to wait after the ``failures``-th failed attempt. Jitter takes up to a quarter
        off the exponential delay (``rand`` in [0, 1)); the server's ``retry_after`` is a floor."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        if self.jitter:
            backoff *= 1 - _JITTER_SHARE * rand
        return max(backoff, retry_after or 0.0)


async def with_retries(
    policy: RetryPolicy,
    call: Callable[[], Awaitable[_T]],
    *,
    label: str = "model request",
    on_wait: RetryWait | None = None,
) -> _T:
    """Await ``call()`` until it succeeds, a non-retryable error occurs, or the policy's attempt
    or time budget would be exceeded; then the last error is raised."""
    started = time.monotonic()
    failures = 0
    while True:
        try:
            return await call()
        except ModelError as exc:
            failures += 1
            if not exc.retryable or failures >= policy.max_attempts:
                raise
            retry_after = exc.retry_after if isinstance(exc, ModelRateLimited) else None
            wait = policy.delay(failures, retry_after=retry_after, rand=random.random())
            if time.monotonic() - started + wait > policy.max_total:
                raise
            logger.warning(
                "%s failed (%s, status=%s, code=%s); retry %d/%d in %.2fs",
                label,
                type(exc).__name__,
                exc.status,
                exc.code,
                failures,
                policy.max_attempts - 1,
                wait,
            )
            if on_wait is not None:
                await on_wait(exc, wait)
            await asyncio.sleep(wait)
