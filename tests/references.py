"""What a user-facing notice says once its reference id is taken out."""

import re

_REFERENCE = re.compile(r"ref-[0-9a-f]{8}")


def without_reference(text: str) -> str:
    """The text with each reference id removed: a random id may hold digits like "500"."""
    return _REFERENCE.sub("ref-…", text)
