"""A small bounded cache whose entries expire: looked-up facts about people (roles, group
members) are asked of Slack once in a while, not for every message."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class TtlCache(Generic[_K, _V]):
    def __init__(
        self,
        *,
        seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[_K, tuple[float, _V]] = OrderedDict()

    async def get(
        self, key: _K, load: Callable[[], Awaitable[_V]], *, seconds: float | None = None
    ) -> _V:
        """The cached value, or ``load()``'s, kept ``seconds`` (the cache's default if None)."""
        now = self._clock()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            self._entries.move_to_end(key)
            return found[1]
        value = await load()
        self.put(key, value, seconds=seconds)
        return value

    def put(self, key: _K, value: _V, *, seconds: float | None = None) -> None:
        expires = self._clock() + (self._seconds if seconds is None else seconds)
        self._entries[key] = (expires, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
