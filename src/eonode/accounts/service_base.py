"""What every part of the accounts service shares: its stores, clock and secret, and the checks
of account names, addresses, countries and passwords."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from eonode.accounts import passwords
from eonode.accounts.mail import Mailer
from eonode.accounts.store import AccountStore
from eonode.errors import InvalidParameter
from eonode.settings import Settings

Clock = Callable[[], datetime]
USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
COUNTRY = re.compile(r"^[A-Z]{2,3}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


class AccountServiceBase:
    def __init__(self, store: AccountStore, settings: Settings, mailer: Mailer, *, clock: Clock = utcnow) -> None:
        self.store, self.settings, self.mailer, self.clock = store, settings, mailer, clock
        secret = settings.secret_key
        self.secret = secret.get_secret_value().encode() if secret else store.node_secret()

    # -- validation --------------------------------------------------------------------------------------
    @staticmethod
    def clean_username(username: str) -> str:
        name = username.strip().lower()
        if not USERNAME.match(name):
            raise InvalidParameter(
                "the account name must be 3–32 characters: letters, digits, '.', '-' or '_', starting with a letter"
            )
        return name

    @staticmethod
    def clean_email(email: str) -> str:
        address = email.strip().lower()
        if not EMAIL.match(address) or len(address) > 254:
            raise InvalidParameter(f"{email!r} is not a valid e-mail address")
        return address

    @staticmethod
    def clean_country(country: str) -> str:
        code = country.strip().upper()
        if code and not COUNTRY.match(code):
            raise InvalidParameter("country must be an ISO 3166 code of 2 or 3 letters (e.g. CN, BR, ZA)")
        return code

    def _password_rules(self, password: str, repeated: str | None, username: str = "", email: str = "") -> None:
        passwords.check_rules(
            password, repeated, min_length=self.settings.password_min_length, username=username, email=email
        )
