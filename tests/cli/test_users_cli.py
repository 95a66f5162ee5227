"""`eonode user|policy|quota`: accounts, policies and quotas from the command line, and the
first administrator's one-time password printed by `eonode serve`."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import orjson
import pytest

from eonode.catalog.testing import make_collection
from eonode.node import Node
from eonode.settings import load_settings
from tests.cli.test_cli import run
from tests.server.conftest import start_node


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "node"
    node = Node.open(load_settings(data_dir=d))
    node.catalog.create_collection(make_collection("gf1-wfv-l1a"))
    node.close()
    return d


def test_user_lifecycle(data_dir: Path) -> None:
    dd = ["--data-dir", str(data_dir)]
    added = run("user", "add", "alice", "--email", "Alice@Example.org", "--password", "long-enough-1", "--admin", *dd)
    assert added.returncode == 0 and "created alice (admin)" in added.stdout
    run(
        "user",
        "add",
        "bob",
        "--email",
        "bob@example.org",
        "--password",
        "long-enough-2",
        "--organisation",
        "CRESDA",
        "--country",
        "cn",
        *dd,
    )
    dup = run("user", "add", "bob", "--email", "b2@example.org", "--password", "long-enough-3", *dd)
    assert dup.returncode == 1 and "account name is already registered" in dup.stderr
    weak = run("user", "add", "carol", "--email", "c@example.org", "--password", "short", *dd)
    assert weak.returncode == 1 and "at least 8 characters" in weak.stderr

    listed = run("user", "list", "--json", *dd)
    users = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert [(u["username"], u["role"], u["country"]) for u in users] == [("alice", "admin", ""), ("bob", "user", "CN")]
    assert "bob" in run("user", "list", "--search", "cresda", *dd).stdout
    assert "alice" not in run("user", "list", "--search", "cresda", *dd).stdout

    assert "bob: operator" in run("user", "role", "bob", "operator", *dd).stdout
    assert "bob: disabled" in run("user", "disable", "bob", *dd).stdout
    assert "bob: active" in run("user", "enable", "bob", *dd).stdout
    last = run("user", "role", "alice", "user", *dd)
    assert last.returncode == 1 and "last active administrator" in last.stderr
    unknown = run("user", "disable", "nobody", *dd)
    assert unknown.returncode == 1 and "no account 'nobody'" in unknown.stderr

    node = Node.open(load_settings(data_dir=data_dir))
    try:
        events = [e.event for e in node.accounts.store.list_audit(limit=50)]
    finally:
        node.close()
    assert {"account.add", "role.change", "account.disable", "account.enable"} <= set(events)


def test_policies_and_quotas(data_dir: Path) -> None:
    dd = ["--data-dir", str(data_dir)]
    shown = run("policy", "show", *dd).stdout
    assert re.search(r"gf1-wfv-l1a\s+public\s+registered\s+default", shown)
    done = run(
        "policy",
        "set",
        "gf1-wfv-l1a",
        "--visibility",
        "role",
        "--roles",
        "node,operator",
        "--data-access",
        "approval",
        *dd,
    )
    assert orjson.loads(done.stdout) == {
        "collection": "gf1-wfv-l1a",
        "visibility": "role",
        "roles": ["node", "operator"],
        "data_access": "approval",
        "default": False,
    }
    bad = run("policy", "set", "gf1-wfv-l1a", "--data-access", "free", *dd)
    assert bad.returncode == 1 and "data access" in bad.stderr
    missing = run("policy", "set", "nope", "--data-access", "open", *dd)
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert orjson.loads(run("policy", "reset", "gf1-wfv-l1a", *dd).stdout)["default"] is True

    quota = orjson.loads(
        run("quota", "set", "user", "--bytes-per-day", "20GiB", "--concurrent-downloads", "3", *dd).stdout
    )
    assert quota == {"user": {"bytes_per_day": 20 * 1024**3, "concurrent_downloads": 3, "requests_per_minute": 1200}}
    limits = orjson.loads(run("quota", "show", *dd).stdout)
    assert limits["user"]["bytes_per_day"] == 20 * 1024**3 and limits["admin"]["bytes_per_day"] is None

    run("user", "add", "dan", "--email", "dan@example.org", "--password", "long-enough-4", *dd)
    own = orjson.loads(run("user", "quota", "dan", "--bytes-per-day", "unlimited", *dd).stdout)
    assert own["bytes_per_day"]["limit"] is None and own["concurrent_downloads"]["limit"] == 3
    back = orjson.loads(run("user", "quota", "dan", "--reset", *dd).stdout)
    assert back["bytes_per_day"]["limit"] == 20 * 1024**3
    granted = run("user", "grant", "dan", "gf1-wfv-l1a", "--days", "30", *dd)
    assert "approval grant on gf1-wfv-l1a" in granted.stdout
    assert "withdrawn" in run("user", "grant", "dan", "gf1-wfv-l1a", "--revoke", *dd).stdout


@pytest.mark.server
def test_first_start_prints_a_one_time_admin_password(tmp_path: Path) -> None:
    server = start_node(tmp_path / "fresh")
    try:
        deadline = time.monotonic() + 10
        while "one-time password" not in (out := server.output()) and time.monotonic() < deadline:
            time.sleep(0.1)
        password = re.search(rb"one-time password (\S+)", out.encode())
        assert password is not None
        login = httpx.post(
            f"{server.url}/auth/login",
            json={"username": "admin", "password": password.group(1).decode()},
            trust_env=False,
        )
        assert login.status_code == 200 and login.json()["user"]["must_change_password"] is True
        cookies, csrf = login.cookies, login.json()["csrf_token"]
        blocked = httpx.get(f"{server.url}/admin/users", cookies=cookies, trust_env=False)
        assert blocked.status_code == 403 and "one-time password" in blocked.json()["description"]
        changed = httpx.post(
            f"{server.url}/me/password",
            json={
                "current": password.group(1).decode(),
                "password": "a-new-admin-pass",
                "password2": "a-new-admin-pass",
            },
            cookies=cookies,
            headers={"X-CSRF-Token": csrf},
            trust_env=False,
        )
        assert changed.status_code == 204
        again = httpx.post(
            f"{server.url}/auth/login", json={"username": "admin", "password": "a-new-admin-pass"}, trust_env=False
        )
        users = httpx.get(f"{server.url}/admin/users", cookies=again.cookies, trust_env=False)
        assert users.status_code == 200 and users.json()["numberMatched"] == 1
    finally:
        server.stop()
    # A second start finds the administrator and prints nothing.
    printed_before = server.output()
    again_server = start_node(tmp_path / "fresh")
    try:
        again_server.stop()
        assert "one-time password" not in again_server.output().removeprefix(printed_before)
    finally:
        again_server.stop()
