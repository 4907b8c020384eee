"""Reference ids: the short token a user sees in an error and an operator finds in the logs."""

from __future__ import annotations

import secrets


def new_reference_id() -> str:
    return "ref-" + secrets.token_hex(4)
