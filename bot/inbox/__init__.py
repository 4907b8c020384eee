"""The durable inbox: a generic queue of Slack deliveries (``queue``) and the work items it
hands its handlers (``work``)."""

from __future__ import annotations

from bot.inbox.queue import Inbox
from bot.inbox.work import (
    MAX_ATTEMPTS,
    UNKNOWN_TS,
    Completion,
    Delivery,
    Handler,
    InTransaction,
    LeaseLost,
    Work,
)

__all__ = [
    "MAX_ATTEMPTS",
    "UNKNOWN_TS",
    "Completion",
    "Delivery",
    "Handler",
    "InTransaction",
    "Inbox",
    "LeaseLost",
    "Work",
]
