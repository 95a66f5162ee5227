"""Accounts fixtures: the same service tests on SQLite and on PostgreSQL+PostGIS, with a clock
the tests move and a mailer that records what the node would deliver."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from eonode.accounts.access import AccessControl
from eonode.accounts.model import Principal, Role, User
from eonode.accounts.quotas import Quotas
from eonode.accounts.service import Accounts
from eonode.accounts.services import AccountServices
from eonode.accounts.store import AccountStore
from eonode.db import account_tables
from eonode.errors import TooManyRequests
from eonode.node import open_catalog
from eonode.settings import Settings, load_settings

# 10:00:05 UTC: five seconds into a clock minute and into a 10-minute login window.
START = datetime(2030, 1, 15, 10, 0, 5, tzinfo=UTC)
PASSWORD = "correct horse 42"
CODE = re.compile(r"verification code is (\d{6})\b")
ACCOUNT_TABLES = [t for t in vars(account_tables).values() if t.__class__.__name__ == "Table"]


def assert_wait(error: TooManyRequests, seconds: float) -> None:
    """``Retry-After`` is the true wait, rounded up (by at most one second), and in the header."""
    assert seconds <= error.retry_after <= seconds + 1, (error.retry_after, seconds, str(error))
    assert error.headers()["Retry-After"] == str(error.retry_after)


class FakeClock:
    """The services' clock: stands still until a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class RecordingMailer:
    """A delivery double: keeps each message instead of sending it (SMTP is covered in test_mail)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))

    def code_for(self, to: str) -> str:
        """The code in the newest message to ``to``."""
        for address, _subject, body in reversed(self.sent):
            if address == to:
                found = CODE.search(body)
                assert found, body
                return found.group(1)
        raise AssertionError(f"no mail to {to}; sent: {[m[0] for m in self.sent]}")

    def to(self, address: str) -> list[tuple[str, str, str]]:
        return [m for m in self.sent if m[0] == address]


@dataclass
class Backend:
    name: str
    data_dir: Path
    database_url: str | None  # None: the SQLite file in data_dir

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(data_dir=self.data_dir, database_url=self.database_url, **overrides)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """One migrated database per module and backend; each test starts from empty account tables."""
    data_dir = tmp_path_factory.mktemp(f"accounts-{request.param}")
    url = None
    if request.param == "postgis":
        url = request.getfixturevalue("pg_database_factory")()
    found = Backend(request.param, data_dir, url)
    open_catalog(found.settings()).close()  # runs the migrations
    return found


@dataclass
class Env:
    """The accounts services of one node, with the test's clock and mailer."""

    settings: Settings
    services: AccountServices
    clock: FakeClock
    mailer: RecordingMailer
    backend: str

    @property
    def users(self) -> Accounts:
        return self.services.users

    @property
    def access(self) -> AccessControl:
        return self.services.access

    @property
    def quotas(self) -> Quotas:
        return self.services.quotas

    @property
    def store(self) -> AccountStore:
        return self.services.store

    def add(self, username: str, role: Role = Role.USER, **kw: Any) -> User:
        """An active account made the administrator's way (no e-mail round trip)."""
        return self.users.add_user(username, f"{username}@example.org", PASSWORD, role=role, **kw)

    def principal(self, user: User, via: str = "session", ip: str = "192.0.2.10") -> Principal:
        return Principal(user.role, ip, user, via)  # type: ignore[arg-type]

    def events(self, pattern: str) -> list[str]:
        return [e.event for e in self.store.list_audit(event=pattern, limit=1000)]


@pytest.fixture
def make_env(backend: Backend) -> Iterator[Callable[..., Env]]:
    """Builds the services over the module's database, emptied for this test; ``**overrides``
    are settings. Each test starts with empty account tables."""
    opened: list[AccountServices] = []
    wiper = AccountStore(backend.settings().effective_database_url)
    with wiper.write() as conn:
        for table in ACCOUNT_TABLES:
            if table is not account_tables.rate_counters:
                conn.execute(delete(table))
    with wiper.counting() as conn:  # the counters have a file of their own on SQLite
        conn.execute(delete(account_tables.rate_counters))
    wiper.close()

    def make(*, clock: FakeClock | None = None, record_mail: bool = True, **overrides: Any) -> Env:
        """``record_mail=False``: the node's own mailer from its settings (SMTP or the outbox)."""
        settings = backend.settings(**overrides)
        clock = clock or FakeClock()
        mailer = RecordingMailer()
        services = AccountServices.open(settings, clock=clock, mailer=mailer if record_mail else None)
        opened.append(services)
        return Env(settings, services, clock, mailer, backend.name)

    yield make
    for services in opened:
        services.close()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    return make_env()
