"""Encryption at rest for authenticator keys (Fernet: AES-128-CBC with HMAC-SHA256, from `cryptography`).

The keys come from TWO_FACTOR_KEYS in the environment, never from the database or the SECRET_KEY, so
a stolen database or backup reveals no authenticator. The first key encrypts; every listed key
decrypts. To rotate: put a new key first, run `manage.py rotate_two_factor_keys` (it re-encrypts
every row with the first key), then drop the old key.
"""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.TWO_FACTOR_KEYS))


def encrypt(secret: bytes) -> str:
    return fernet().encrypt(secret).decode()


def decrypt(token: str) -> bytes:
    return fernet().decrypt(token.encode())


def reencrypt(token: str) -> str:
    """The same secret under the first key (a no-op when it already is)."""
    return fernet().rotate(token.encode()).decode()
