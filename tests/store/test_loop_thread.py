"""The loop intake's PostgreSQL transactions run on: work runs on its thread, results and
errors come back to the caller's loop, a cancelled caller cancels the work there."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.store.loop_thread import LoopThread


async def test_work_runs_on_the_thread_and_its_result_or_error_comes_back() -> None:
    thread = LoopThread("test-loop")
    thread.start()
    try:

        async def where() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        async def fails() -> None:
            raise ValueError("from the other loop")

        assert await thread.run(where) == "test-loop"
        with pytest.raises(ValueError, match="from the other loop"):
            await thread.run(fails)
    finally:
        await thread.stop()


async def test_a_cancelled_caller_cancels_the_work_on_the_thread() -> None:
    thread = LoopThread("test-loop")
    thread.start()
    started, cancelled = threading.Event(), threading.Event()

    async def waits() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    try:
        caller = asyncio.create_task(thread.run(waits))
        await asyncio.to_thread(started.wait, 5)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        assert await asyncio.to_thread(cancelled.wait, 5)
    finally:
        await thread.stop()
