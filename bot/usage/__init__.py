"""The usage ledger (one row per model call), prices, and reports (``python -m bot usage``)."""

from __future__ import annotations

from .calls import Asker, CallKind, ModelCall
from .ledger import Clock, UsageLedger, utc_now
from .prices import Price, PriceTable

__all__ = [
    "Asker",
    "CallKind",
    "Clock",
    "ModelCall",
    "Price",
    "PriceTable",
    "UsageLedger",
    "utc_now",
]
