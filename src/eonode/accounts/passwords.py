"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from eonode.errors import WeakPassword

# argon2id with OWASP's baseline (19 MiB, 2 passes, 1 lane): ~20 ms here, and 19 MiB per login in
# flight rather than the library default's 64 MiB, so a burst of logins cannot exhaust memory.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against when an account does not exist, so a login takes as long either way."""
    return _hasher.hash("no such account: constant-time refusal")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_rules(password: str, repeated: str | None, *, min_length: int, username: str = "", email: str = "") -> None:
    """Refuse a password the node will not accept, saying why."""
    if repeated is not None and password != repeated:
        raise WeakPassword("the two passwords differ")
    if len(password) < min_length:
        raise WeakPassword(f"the password must have at least {min_length} characters")
    if len(password) > 1024:
        raise WeakPassword("the password is longer than 1024 characters")
    lowered = password.lower()
    if (username and lowered == username.lower()) or (email and lowered == email.lower()):
        raise WeakPassword("the password must not be the account name or e-mail address")
    if len(set(password)) < 4:
        raise WeakPassword("the password repeats too few different characters")
