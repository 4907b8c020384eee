"""Waiting for state that nothing signals: a field of a watcher, another process's health."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def until(
    check: Callable[[], bool | Awaitable[bool]], seconds: float, poll: float = 0.02
) -> None:
    """Poll ``check`` (plain or async) until it holds; TimeoutError after ``seconds``."""
    async with asyncio.timeout(seconds):
        while True:
            held = check()
            if inspect.isawaitable(held):
                held = await held
            if held:
                return
            await asyncio.sleep(poll)
