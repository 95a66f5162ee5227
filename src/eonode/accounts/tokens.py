"""Random secrets and HMAC signatures: codes, session tokens, API keys, CSRF tokens, signed links.

Secrets that are stored are stored hashed: API keys and session tokens are long random strings,
so one SHA-256 suffices; six-digit codes are short, so they are keyed with the node secret (HMAC)
and their attempts are limited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "eon_"


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hash(secret: bytes, email: str, purpose: str, code: str) -> str:
    return hmac.new(secret, f"code|{purpose}|{email.lower()}|{code}".encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class NewKey:
    secret: str  # shown once
    prefix: str  # shown in lists, to tell keys apart
    hash: str  # stored


def new_api_key() -> NewKey:
    body = secrets.token_urlsafe(30)
    secret = f"{KEY_PREFIX}{body}"
    return NewKey(secret, secret[: len(KEY_PREFIX) + 6], sha256_hex(secret))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(secret: bytes, message: str) -> str:
    return _b64(hmac.new(secret, message.encode(), hashlib.sha256).digest())


def new_csrf_token(secret: bytes) -> str:
    """A double-submit token: a random part and its signature (cookies from elsewhere cannot forge it)."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{sign(secret, 'csrf|' + nonce)}"


def csrf_ok(secret: bytes, cookie: str | None, given: str | None) -> bool:
    if not cookie or not given or not cookie.isascii() or not given.isascii():
        return False
    if not hmac.compare_digest(cookie.encode(), given.encode()):
        return False
    nonce, _, sig = cookie.partition(".")
    return bool(nonce) and hmac.compare_digest(sig.encode(), sign(secret, "csrf|" + nonce).encode())


def link_message(user_id: int, collection: str, item: str, asset: str, expires: int) -> str:
    return f"link|v1|{user_id}|{collection}|{item}|{asset}|{expires}"
