"""The loop-lag watcher: it measures a blocked loop, rests while there is no work, wakes for
work from another thread with a tick of its own, and takes no wakes once stopped."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from bot.loop_lag import LoopLag
from tests.polling import until

INTERVAL = 0.01


def _hold_loop() -> None:
    """The loop runs nothing for 100 ms: the watcher wakes about 90 ms late."""
    time.sleep(0.1)


async def _until(condition: Callable[[], bool]) -> None:
    await until(condition, 5.0, poll=INTERVAL / 2)


async def test_a_blocked_loop_shows_as_lag_and_a_free_one_does_not() -> None:
    lag = LoopLag(interval=INTERVAL, limit=0.05, smoothing=1.0)  # a busy test machine's slack
    lag.start()
    try:
        await _until(lambda: lag.ticks >= 3)
        assert not lag.saturated
        ticks = lag.ticks
        _hold_loop()
        await _until(lambda: lag.ticks > ticks)
        assert lag.saturated
    finally:
        await lag.stop()


async def test_it_rests_without_work_and_a_wake_from_another_thread_resumes_it() -> None:
    busy, asked_at = False, []
    lag = LoopLag(interval=INTERVAL, limit=0.02, smoothing=1.0)

    def has_work() -> bool:
        if not busy:
            asked_at.append(lag.ticks)
        return busy

    lag.start(busy=has_work)
    try:
        await _until(lambda: lag.sleeping)
        rested_at = lag.ticks
        await asyncio.sleep(INTERVAL * 10)
        assert lag.ticks == rested_at  # no wake-ups while nothing runs

        busy = True
        waker = threading.Thread(target=lag.wake)  # as the HTTP front's thread does
        waker.start()
        waker.join()
        await _until(lambda: lag.ticks >= rested_at + 3)
        assert not lag.sleeping

        busy = False
        await _until(lambda: lag.sleeping)
        assert lag.ticks == asked_at[-1] + 1  # a quiet spell begins a tick of its own
    finally:
        await lag.stop()


async def test_a_rest_forgets_the_lag_it_had() -> None:
    busy = True
    lag = LoopLag(interval=INTERVAL, limit=0.0005, smoothing=0.1)  # the lag fades slowly
    lag.start(busy=lambda: busy)
    try:
        await _until(lambda: lag.ticks >= 1)
        ticks = lag.ticks
        _hold_loop()
        await _until(lambda: lag.ticks > ticks)
        assert lag.saturated
        busy = False
        await _until(lambda: lag.sleeping)
        assert not lag.saturated  # an idle loop is not a saturated one
    finally:
        await lag.stop()


async def test_stopped_while_resting_it_takes_no_more_wakes() -> None:
    lag = LoopLag(interval=INTERVAL)
    lag.start(busy=lambda: False)
    await _until(lambda: lag.sleeping)
    await lag.stop()
    assert not lag.sleeping
    lag.wake()  # as a delivery arriving during shutdown would: nothing to resume, no error
    assert not lag.sleeping
