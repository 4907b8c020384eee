"""The one owner of work nobody awaits: status calls, thank-yous, image generation.

Every task is kept referenced until it ends, its failure is logged with a reference id (never
lost in a "Task exception was never retrieved" at garbage collection), and shutdown drains all
of them against the process's one grace deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bot.errors import log_failure
from bot.reference import new_reference_id

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str, reference_id: str | None = None
    ) -> asyncio.Task[Any]:
        """Run ``work`` on its own; a failure is logged when it ends, with ``reference_id``
        (the one the work tells its user, if it has one) or a new one."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._finished, reference_id))
        return task

    def _finished(self, reference_id: str | None, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log_failure(
                log,
                f"background task {task.get_name()} failed",
                error,
                reference_id=reference_id or new_reference_id(),
            )

    async def drain(self, deadline: float) -> None:
        """Wait for the tasks until ``deadline`` (``time.monotonic()``), then cancel the rest."""
        while self._tasks:
            tasks = set(self._tasks)
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
            if pending:
                log.warning("cancelled %d background tasks at shutdown", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending)
                return


class OwnedTask:
    """One long-running task a component owns (a watcher, a periodic job): started once,
    cancelled and awaited when its owner stops."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if self._task is None:
            self._task = asyncio.create_task(work(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
