"""Encryption of API keys at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The secret may hold several comma-separated Fernet keys while rotating: the first encrypts, every one
decrypts (`MultiFernet`); `python -m bot rotate-keys` re-encrypts what is stored with the first.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretDecryptError(Exception):
    """A stored secret cannot be read with this SECRET_KEY (it was changed or the data is damaged)."""


class SecretBox:
    def __init__(self, keys: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(b",") if k.strip()])

    def encrypt(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise SecretDecryptError("stored API key cannot be decrypted with this SECRET_KEY") from None

    def rotate(self, token: bytes) -> bytes:
        """The same secret, encrypted with the first key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretDecryptError("stored API key cannot be decrypted with this SECRET_KEY") from None
