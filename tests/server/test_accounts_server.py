"""Accounts, quotas and download history against real `eonode serve` processes.

Registration goes through a real SMTP server (aiosmtpd) that captures the mailed code; quotas
are checked with real streaming downloads held open over loopback sockets.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from eonode.accounts.model import QuotaLimits, Role
from eonode.accounts.quotas import GIB
from eonode.demo.synthetic import populate, scenes, with_assets
from eonode.node import Node
from eonode.settings import load_settings
from eonode.storage.store import CHUNK, blob_href
from tests.mailsink import MailSink, running_sink
from tests.server.conftest import NodeProcess, start_node

pytestmark = pytest.mark.server

PASSWORD = "Tide-pool-Kestrel-81"
BIG_SIZE = 32 * 1024 * 1024  # more than loopback socket buffers hold: a held-open download stays active


# -- a real SMTP sink -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    yield from running_sink()


def smtp_env(port: int, **more: str) -> dict[str, str]:
    return {"EONODE_SMTP_HOST": "127.0.0.1", "EONODE_SMTP_PORT": str(port), **more}


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture(scope="module")
def mail_node(smtp: tuple[MailSink, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """A node that mails through the SMTP sink, with the default code settings."""
    proc = start_node(tmp_path_factory.mktemp("mail-node"), env=smtp_env(smtp[1]))
    yield proc
    proc.stop()


# -- registration -------------------------------------------------------------------------------------------
def test_registration_with_a_mailed_code(smtp: tuple[MailSink, int], mail_node: NodeProcess) -> None:
    sink, node = smtp[0], mail_node
    with httpx.Client(base_url=node.url, trust_env=False, timeout=30) as http:
        address = "ana.lima@example.org"
        sent = http.post("/auth/codes", json={"email": address})
        assert sent.status_code == 202, sent.text
        assert sent.json()["expires_in"] == 600
        assert sent.json()["resend_after"] == 60
        code = sink.code(address)
        mail = sink.wait_for(address)
        assert "valid for 10 minutes" in mail.get_content()

        # Asking again at once: refused, with the wait in Retry-After; no second mail.
        again = http.post("/auth/codes", json={"email": address})
        assert again.status_code == 429, again.text
        assert again.json()["code"] == "TooManyRequests"
        assert 55 <= int(again.headers["Retry-After"]) <= 61
        assert again.headers["X-Quota-Limit"] == "resend-after=60s"
        time.sleep(0.3)
        assert len(sink.to(address)) == 1

        form = {"username": "ana", "email": address, "password": PASSWORD, "password2": PASSWORD}
        wrong = http.post("/auth/register", json={**form, "code": other_code(code)})
        assert wrong.status_code == 400, wrong.text
        assert wrong.json()["code"] == "InvalidCode"
        assert "4 attempts left" in wrong.json()["description"]
        no_account = http.post("/auth/login", json={"username": "ana", "password": PASSWORD})
        assert no_account.status_code == 401, no_account.text

        made = http.post("/auth/register", json={**form, "code": code})
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "active"
        assert made.json()["username"] == "ana"
        assert made.json()["next"] == "log in"

        # The code is spent: it cannot make a second account.
        reuse = http.post(
            "/auth/register", json={**form, "username": "ana2", "email": "ana2@example.org", "code": code}
        )
        assert reuse.status_code == 400, reuse.text

        login = http.post("/auth/login", json={"username": "ana", "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["user"]["username"] == "ana"
        cookie = login.headers["set-cookie"].lower()
        assert "eonode_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        profile = http.get("/me")  # the client keeps the session cookie
        assert profile.status_code == 200, profile.text
        assert profile.json()["email"] == address
        # Writes with the session cookie need the CSRF token the login returned.
        assert http.post("/me/keys", json={"name": "laptop"}).status_code == 403
        key = http.post("/me/keys", json={"name": "laptop"}, headers={"X-CSRF-Token": login.json()["csrf_token"]})
        assert key.status_code == 201, key.text
        with_key = httpx.get(
            f"{node.url}/me", headers={"Authorization": f"Bearer {key.json()['secret']}"}, trust_env=False
        )
        assert with_key.status_code == 200
        assert with_key.json()["username"] == "ana"
        bad = httpx.post(
            f"{node.url}/auth/login", json={"username": "ana", "password": "x" + PASSWORD}, trust_env=False
        )
        assert bad.status_code == 401


def test_registration_without_code_is_pending_until_verified(
    smtp: tuple[MailSink, int], mail_node: NodeProcess
) -> None:
    sink, node = smtp[0], mail_node
    with httpx.Client(base_url=node.url, trust_env=False, timeout=30) as http:
        address = "bo.chen@example.org"
        made = http.post(
            "/auth/register", json={"username": "bochen", "email": address, "password": PASSWORD, "password2": PASSWORD}
        )
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "pending"
        code = sink.code(address)
        early = http.post("/auth/login", json={"username": "bochen", "password": PASSWORD})
        assert early.status_code == 403, early.text
        assert "verify" in early.json()["description"]

        wrong = http.post("/auth/verify", json={"email": address, "code": other_code(code)})
        assert wrong.status_code == 400
        done = http.post("/auth/verify", json={"email": address, "code": code})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "active"
        assert done.json()["verified_at"]
        login = http.post("/auth/login", json={"username": address, "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.cookies.clear()

        # Five wrong entries void a code: then even the right one is refused.
        other = "eve.k@example.org"
        assert http.post("/auth/codes", json={"email": other}).status_code == 202
        right = sink.code(other)
        form = {"username": "evek", "email": other, "password": PASSWORD, "password2": PASSWORD}
        answers = [http.post("/auth/register", json={**form, "code": other_code(right)}) for _ in range(5)]
        assert [a.status_code for a in answers] == [400] * 5
        assert "now void" in answers[-1].json()["description"]
        late = http.post("/auth/register", json={**form, "code": right})
        assert late.status_code == 400, late.text
        assert http.post("/auth/login", json={"username": "evek", "password": PASSWORD}).status_code == 401


def test_an_expired_code_is_refused(smtp: tuple[MailSink, int], tmp_path: Path) -> None:
    sink, port = smtp
    node = start_node(tmp_path / "node", env=smtp_env(port, EONODE_CODE_MINUTES="0.02"))
    try:
        expired_code_refused(sink, node)
    finally:
        node.stop()


def expired_code_refused(sink: MailSink, node: NodeProcess) -> None:
    with httpx.Client(base_url=node.url, trust_env=False, timeout=30) as http:
        address = "late.comer@example.org"
        sent = http.post("/auth/codes", json={"email": address})
        assert sent.status_code == 202, sent.text
        assert sent.json()["expires_in"] <= 2
        code = sink.code(address)
        time.sleep(1.5)
        form = {"username": "latecomer", "email": address, "password": PASSWORD, "password2": PASSWORD}
        refused = http.post("/auth/register", json={**form, "code": code})
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "InvalidCode"
        assert "expired" in refused.json()["description"]
        assert http.post("/auth/login", json={"username": "latecomer", "password": PASSWORD}).status_code == 401


# -- quotas and download history --------------------------------------------------------------------------------
@dataclass
class QuotaNode:
    proc: NodeProcess
    keys: dict[str, str]  # username -> API key
    ids: dict[str, int]  # username -> user id
    big_url: str
    big_sha256: str
    small_url: str
    small_size: int
    thumb_url: str

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[user]}"} if user else {}
        return httpx.Client(base_url=self.proc.url, headers=headers, trust_env=False, timeout=60)


def add_big_item(node: Node, size: int, seed: int) -> tuple[dict[str, Any], str]:
    """An item whose data asset is ``size`` random bytes held in the node's blob store."""
    doc = with_assets(next(scenes(1, seed=seed, extensions=False)), node.blobs, seed)
    data = os.urandom(size)
    info = node.blobs.put(data[i : i + CHUNK] for i in range(0, size, CHUNK))
    doc["assets"]["data"].update(
        {"href": blob_href(info.sha256), "file:size": info.size, "file:checksum": info.multihash}
    )
    node.catalog.upsert_items([doc])
    return doc, hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def quota_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuotaNode]:
    data_dir = tmp_path_factory.mktemp("quota-node")
    node = Node.open(load_settings(data_dir=data_dir))
    try:
        populate(node.catalog, node.blobs, 4, seed=11, extensions=False)
        big, sha = add_big_item(node, BIG_SIZE, seed=777)
        users = node.accounts.users
        keys, ids = {}, {}
        for name, role in (
            ("root", Role.ADMIN),
            ("alice", Role.USER),
            ("bob", Role.USER),
            ("carol", Role.USER),
            ("mallory", Role.USER),
        ):
            user = users.add_user(name, f"{name}@example.org", PASSWORD, role=role)
            keys[name] = users.create_key(user, f"{name}'s test key")[1]
            ids[name] = user.id
        node.accounts.store.put_role_quota(Role.USER, QuotaLimits(100 * GIB, 2, 1200))
    finally:
        node.close()
    proc = start_node(data_dir)
    try:
        base = f"{proc.url}/collections/{big['collection']}/items/{big['id']}/assets"
        found = httpx.get(f"{proc.url}/search", params={"limit": 10}, trust_env=False).json()["features"]
        feature = next(f for f in found if f["id"] != big["id"])
        small_asset = feature["assets"]["data"]
        yield QuotaNode(
            proc,
            keys,
            ids,
            big_url=f"{base}/data",
            big_sha256=sha,
            small_url=small_asset["href"],
            small_size=small_asset["file:size"],
            thumb_url=f"{base}/thumbnail",
        )
    finally:
        proc.stop()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def my_quota(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/me/quota")
    assert answer.status_code == 200, answer.text
    quota: dict[str, Any] = answer.json()
    return quota


def settled(http: httpx.Client) -> list[dict[str, Any]]:
    """My download history once no download of mine is still running."""
    rows: list[dict[str, Any]] = []

    def done() -> bool:
        rows[:] = http.get("/me/downloads").json()["downloads"]
        return all(r["status"] != "active" for r in rows)

    wait_until(done, "downloads finish")
    return rows


def test_the_third_concurrent_download_is_refused(quota_node: QuotaNode) -> None:
    q = quota_node
    with ExitStack() as stack:
        http, second, third = (stack.enter_context(q.client("alice")) for _ in range(3))
        assert my_quota(http)["concurrent_downloads"]["limit"] == 2
        first = stack.enter_context(http.stream("GET", q.big_url))
        other = stack.enter_context(second.stream("GET", q.big_url))
        readers = []  # keep each reader alive: a dropped generator closes its response
        for held in (first, other):
            assert held.status_code == 200
            assert held.headers["content-length"] == str(BIG_SIZE)
            readers.append(held.iter_raw())
            assert len(next(readers[-1])) > 0
        assert my_quota(http)["concurrent_downloads"]["used"] == 2

        refused = third.get(q.big_url)
        assert refused.status_code == 429, refused.text
        assert refused.headers["X-Quota-Limit"] == "concurrent-downloads=2"
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.json()["code"] == "QuotaExceeded"
        assert "concurrent download limit" in refused.json()["description"]
        # Previews are metadata: never held back by the download limits.
        assert third.get(q.thumb_url).status_code == 200

        first.close()
        wait_until(lambda: my_quota(http)["concurrent_downloads"]["used"] == 1, "the closed download ends")
        again = stack.enter_context(third.stream("GET", q.big_url))
        assert again.status_code == 200
        readers.append(again.iter_raw())
        assert len(next(readers[-1])) > 0
    with q.client("alice") as http:
        rows = settled(http)
        assert len(rows) == 3
        assert {r["status"] for r in rows} == {"aborted"}
        assert all(0 < r["bytes"] < BIG_SIZE for r in rows), rows
        assert my_quota(http)["concurrent_downloads"]["used"] == 0


def seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def test_the_daily_byte_limit(quota_node: QuotaNode) -> None:
    q = quota_node
    limit = BIG_SIZE + 1000
    with q.client("root") as admin:
        set_quota = admin.put(f"/admin/users/{q.ids['bob']}/quota", json={"bytes_per_day": limit})
        assert set_quota.status_code == 200, set_quota.text
    with q.client("bob") as http:
        assert my_quota(http)["bytes_per_day"]["limit"] == limit
        full = http.get(q.big_url)
        assert full.status_code == 200
        assert hashlib.sha256(full.content).hexdigest() == q.big_sha256
        settled(http)
        usage = my_quota(http)["bytes_per_day"]
        assert usage["used"] == BIG_SIZE
        assert usage["remaining"] == 1000

        refused = http.get(q.big_url)
        assert refused.status_code == 429, refused.text
        assert refused.headers["X-Quota-Limit"] == f"bytes-per-day={limit}"
        assert abs(int(refused.headers["Retry-After"]) - seconds_to_midnight()) <= 5
        assert refused.json()["code"] == "QuotaExceeded"
        assert "daily download limit" in refused.json()["description"]
        assert refused.headers["X-Quota-Reset"].startswith((datetime.now(UTC) + timedelta(days=1)).date().isoformat())

        # What is left still fits a small range; a byte more does not.
        part = http.get(q.big_url, headers={"Range": "bytes=0-999"})
        assert part.status_code == 206, part.text
        assert len(part.content) == 1000
        settled(http)
        assert my_quota(http)["bytes_per_day"]["remaining"] == 0
        assert http.get(q.big_url, headers={"Range": "bytes=0-0"}).status_code == 429
        # Status checks cost nothing: HEAD still answers.
        head = http.head(q.big_url)
        assert head.status_code == 200
        assert head.headers["content-length"] == str(BIG_SIZE)


def test_concurrent_downloads_cannot_overshoot_the_daily_bytes(quota_node: QuotaNode) -> None:
    q = quota_node
    with q.client("root") as admin:
        limit = {"bytes_per_day": BIG_SIZE + 1000}
        assert admin.put(f"/admin/users/{q.ids['mallory']}/quota", json=limit).status_code == 200
    with ExitStack() as stack:
        first_client, second_client = (stack.enter_context(q.client("mallory")) for _ in range(2))
        first = stack.enter_context(first_client.stream("GET", q.big_url))
        assert first.status_code == 200
        reader = first.iter_raw()
        assert len(next(reader)) > 0
        # The first download will take all but 1000 bytes of the day: a second must not start.
        second = second_client.get(q.big_url, headers={"Range": "bytes=0-1999"})
        assert second.status_code == 429, second.text


def test_quota_status_is_never_counted(quota_node: QuotaNode) -> None:
    q = quota_node
    with q.client("root") as admin:
        assert admin.put(f"/admin/users/{q.ids['carol']}/quota", json={"requests_per_minute": 3}).status_code == 200
    if time.time() % 60 > 45:  # keep every request of this test inside one clock minute
        time.sleep(61 - time.time() % 60)
    with q.client("carol") as http:
        for _ in range(15):
            quota = my_quota(http)
        assert quota["requests_per_minute"]["limit"] == 3
        assert quota["requests_per_minute"]["used"] == 0
        assert [http.get("/me").status_code for _ in range(3)] == [200, 200, 200]
        refused = http.get("/me")
        assert refused.status_code == 429, refused.text
        assert refused.headers["X-Quota-Limit"] == "requests-per-minute=3"
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
        assert "request limit" in refused.json()["description"]
        after = my_quota(http)  # still answers while the limit is reached
        assert after["requests_per_minute"]["used"] >= 3
        assert after["requests_per_minute"]["remaining"] == 0


def test_downloads_are_recorded_and_only_staff_see_others(quota_node: QuotaNode) -> None:
    q = quota_node
    with httpx.Client(trust_env=False, timeout=60) as plain:
        assert plain.get(f"{q.proc.url}/me/downloads").status_code == 401
    dave_key, dave_id = add_user_over_http(q, "dave")
    with httpx.Client(
        base_url=q.proc.url, headers={"Authorization": f"Bearer {dave_key}"}, trust_env=False, timeout=60
    ) as http:
        small = http.get(q.small_url)
        assert small.status_code == 200
        assert len(small.content) == q.small_size
        part = http.get(q.big_url, headers={"Range": "bytes=1000-4999999"})
        assert part.status_code == 206
        assert len(part.content) == 4_999_000
        mine = settled(http)
        assert len(mine) == 2
        newest, oldest = mine
        assert oldest["bytes"] == q.small_size and oldest["status"] == "done" and oldest["via"] == "key"
        assert newest["bytes"] == 4_999_000 and newest["range"] == [1000, 4_999_999] and newest["status"] == "done"
        assert oldest["item"] != newest["item"]

    with q.client("root") as admin:
        seen = admin.get(f"/admin/users/{dave_id}/downloads")
        assert seen.status_code == 200, seen.text
        assert seen.json()["downloads"] == mine
    with q.client("alice") as alice:
        assert all(r["id"] not in {m["id"] for m in mine} for r in alice.get("/me/downloads").json()["downloads"])
        for path in (f"/admin/users/{dave_id}/downloads", "/admin/users", f"/admin/users/{dave_id}", "/admin/audit"):
            denied = alice.get(path)
            assert denied.status_code == 403, (path, denied.text)
            assert "downloads" not in denied.json()


def add_user_over_http(q: QuotaNode, name: str) -> tuple[str, int]:
    """An account made on the running node through its own API: self-registered (pending), activated
    by the administrator, logged in, and given an API key made with the session (CSRF header)."""
    with q.client() as anon:
        made = anon.post(
            "/auth/register",
            json={"username": name, "email": f"{name}@example.org", "password": PASSWORD, "password2": PASSWORD},
        )
        assert made.status_code == 201, made.text
        user_id = made.json()["id"]
    with q.client("root") as admin:
        active = admin.patch(f"/admin/users/{user_id}", json={"status": "active"})
        assert active.status_code == 200, active.text
    with q.client() as anon:
        login = anon.post("/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200, login.text
        key = anon.post("/me/keys", json={"name": "cli"}, headers={"X-CSRF-Token": login.json()["csrf_token"]})
        assert key.status_code == 201, key.text
        return str(key.json()["secret"]), int(user_id)
