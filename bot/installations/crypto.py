"""Tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) under ``ENCRYPTION_KEY``.

``ENCRYPTION_KEY`` is one key or a comma-separated list. The first key encrypts; every key
decrypts, so a key is rotated by putting a new one first and keeping the old one after it until
``python -m bot installations --reencrypt`` has rewritten every stored token.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class InvalidKey(ValueError):
    """``ENCRYPTION_KEY`` is not a Fernet key or a list of them (the value is never shown)."""


class UndecryptableToken(Exception):
    """A stored token was encrypted with a key that is not in ``ENCRYPTION_KEY``."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise InvalidKey("no key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            raise InvalidKey("not a Fernet key") from None

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        return cls([key.strip() for key in value.split(",") if key.strip()])

    def encrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        return self._opened(stored, self._fernet.decrypt)

    def rotate(self, stored: str | None) -> str | None:
        """The same token encrypted with the first key (unchanged plaintext)."""
        return self._opened(stored, self._fernet.rotate)

    @staticmethod
    def _opened(stored: str | None, open_with: Callable[[bytes], bytes]) -> str | None:
        if stored is None:
            return None
        try:
            return open_with(stored.encode()).decode()
        except InvalidToken:
            raise UndecryptableToken("encrypted with a key that ENCRYPTION_KEY lacks") from None
