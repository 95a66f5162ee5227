"""Helpers shared by the access tests (matrix, hidden collections, account flows).

Each test module builds its own module-scoped node from :func:`open_node` (the package conftest's
``node`` fixture is an open-data node with no accounts). Everything here is real: a SQLite node
in a temporary folder, accounts made through the accounts service, API keys used as bearers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eonode.accounts.model import Role, User
from eonode.accounts.services import AccountServices
from eonode.demo.synthetic import populate
from eonode.models.search import SearchQuery
from eonode.node import Node
from eonode.settings import load_settings

ADMIN_TOKEN = "access-tests-admin-token-0123456789"
COLLECTIONS = ("cbers04-mux", "gf1-pms", "gf1-wfv", "gf2-pms", "gf6-wfv", "zy3-nad")
ITEMS, SEED = 60, 7  # this seed gives every demo collection at least two items


class FakeClock:
    """A clock the accounts services read; it moves only when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        now = start or datetime.now(UTC)
        self.now = now.replace(second=5, microsecond=0)  # early in a clock minute

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def next_minute(self) -> None:
        """To 5 s into the next clock minute (a fresh requests-per-minute window)."""
        self.now = (self.now + timedelta(minutes=1)).replace(second=5, microsecond=0)


def open_node(data_dir: Path, *, items: int = ITEMS, clock: FakeClock | None = None, **settings: Any) -> Node:
    """A node over SQLite in ``data_dir`` with the demo collections and ``items`` synthetic scenes.

    Collections without a policy are public with data for registered users (the node default
    under test); ``clock`` replaces the accounts services' clock."""
    values: dict[str, Any] = {"data_dir": data_dir, "default_data_access": "registered", "admin_token": ADMIN_TOKEN}
    values.update(settings)
    node = Node.open(load_settings(**values))
    if clock is not None:
        node.accounts.close()
        node.accounts = AccountServices.open(node.settings, clock=clock)
    if items:
        populate(node.catalog, node.blobs, items, seed=SEED)
    return node


@dataclass
class Account:
    """A user of the node with one API key (its secret is the bearer token)."""

    user: User
    password: str
    key_id: int
    secret: str

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.secret)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_account(node: Node, username: str, role: Role = Role.USER, **profile: str) -> Account:
    password = f"pw-{username}-Secret-42"
    user = node.accounts.users.add_user(username, f"{username}@example.org", password, role=role, **profile)
    key, secret = node.accounts.users.create_key(user, "tests")
    return Account(user, password, key.id, secret)


def enrolled_node(node: Node, name: str, **agreement: Any) -> Account:
    """A child node that asked to join with its own key and was approved (its machine account)."""
    from eonode.accounts.passwords import hash_password
    from eonode.accounts.tokens import new_api_key
    from eonode.federation.agreement import Agreement

    key = new_api_key()
    child = node.children.request(name=name, contact=f"ops@{name}.example.org", key=key.secret)
    child = node.children.approve(child.id, Agreement.parse(agreement), actor="tests")
    assert child.user_id is not None
    password = f"pw-{name}-Secret-42"
    node.accounts.store.set_password(child.user_id, hash_password(password))
    user = node.accounts.store.get_user(child.user_id)
    return Account(user, password, node.accounts.store.list_keys(user.id)[0].id, key.secret)


def first_item(node: Node, collection: str) -> str:
    page = node.catalog.search(SearchQuery(collections=(collection,), limit=1))
    assert page.items, f"the synthetic data has no item in {collection}"
    return str(page.items[0]["id"])


def item_ids(node: Node, collection: str) -> list[str]:
    page = node.catalog.search(SearchQuery(collections=(collection,), limit=1000))
    return [str(doc["id"]) for doc in page.items]


def asset_path(collection: str, item: str, key: str) -> str:
    return f"/collections/{collection}/items/{item}/assets/{key}"


def local(href: str) -> str:
    """The path and query of an absolute link the test client's app produced."""
    return href.split("://testserver", 1)[1] if "://testserver" in href else href


def fresh_client(client: TestClient, *, raise_errors: bool = True) -> TestClient:
    """A second client over the same app with an empty cookie jar (a different browser);
    ``raise_errors=False`` turns server errors into the 500 responses a real client would see."""
    return TestClient(client.app, raise_server_exceptions=raise_errors)


def json_login(client: TestClient, username: str, password: str) -> str:
    """Log in over JSON (the cookies land in ``client``); returns the CSRF token."""
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    assert response.cookies.get("eonode_session") and response.cookies.get("eonode_csrf")
    token = response.json()["csrf_token"]
    assert token == client.cookies.get("eonode_csrf")
    return str(token)


# -- the outbox (no SMTP configured: mails are .eml files) ------------------------------------------------
CODE = re.compile(r"verification code is (\d{6})")


def outbox_messages(node: Node, to: str) -> list[Message]:
    folder = node.settings.effective_outbox_dir
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes())
        if msg["To"] == to:
            found.append(msg)
    return found


def latest_code(node: Node, to: str) -> str:
    """The six-digit code of the newest message to ``to``."""
    messages = outbox_messages(node, to)
    assert messages, f"no mail to {to} in {node.settings.effective_outbox_dir}"
    body = messages[-1].get_payload(decode=True)
    assert isinstance(body, bytes)
    match = CODE.search(body.decode("utf-8"))
    assert match, body
    return match.group(1)
