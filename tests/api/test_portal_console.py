"""The administrator console: who may see and change what, CSRF on every form, changes that take
effect (roles, account status, policies) and the quarantine with its reasons and retry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eonode.accounts.model import Role
from eonode.api.app import create_app
from eonode.demo.packages import generate
from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo

PASSWORD = "Yellow-river-delta-33"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("console")
    opened = Node.open(load_settings(data_dir=root / "node", inbox_settle_seconds=0))
    ingest_demo(opened, root / "packages", count=10, seed=2, families=("gf1-wfv", "gf2-pms"))
    users = opened.accounts.users
    users.add_user("root", "root@example.cn", PASSWORD, role=Role.ADMIN)
    users.add_user("ops", "ops@example.cn", PASSWORD, role=Role.OPERATOR)
    users.add_user("ann", "ann@example.cn", PASSWORD)
    yield opened
    opened.close()


def signed_in(node: Node, username: str) -> TestClient:
    client = TestClient(create_app(node))
    assert client.post("/auth/login", json={"username": username, "password": PASSWORD}).status_code == 200
    return client


@pytest.fixture
def admin(node: Node) -> Iterator[TestClient]:
    with signed_in(node, "root") as c:
        yield c


def form(client: TestClient, url: str, data: dict[str, str], *, token: bool = True) -> Any:
    if token:
        data = {**data, "csrf_token": client.cookies.get("eonode_csrf") or ""}
    return client.post(url, data=data, follow_redirects=False)


def test_who_may_open_the_console(node: Node) -> None:
    with TestClient(create_app(node)) as anonymous:
        response = anonymous.get("/console", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/account/login")
    with signed_in(node, "ann") as user:
        refused = user.get("/console?lang=en")
        assert refused.status_code == 403 and "only operators and administrators" in refused.text
    with signed_in(node, "ops") as ops:
        page = ops.get("/console?lang=en")
        assert page.status_code == 200 and 'data-user="ann"' in page.text and "Change role" not in page.text
        ann = node.accounts.store.find_user("ann")
        assert ann is not None
        tried = form(ops, f"/console/users/{ann.id}", {"role": "admin"})
        assert tried.status_code == 403
        assert node.accounts.store.find_user("ann").role is Role.USER


def test_admins_change_roles_status_and_policies(node: Node, admin: TestClient) -> None:
    ann = node.accounts.store.find_user("ann")
    assert ann is not None
    page = admin.get("/console?lang=en").text
    assert "Change role" in page and 'data-collection="gf2-pms-l1a"' in page
    forged = form(admin, f"/console/users/{ann.id}", {"role": "operator"}, token=False)
    assert forged.status_code == 403 and node.accounts.store.get_user(ann.id).role is Role.USER
    assert form(admin, f"/console/users/{ann.id}", {"role": "operator"}).status_code == 303
    assert node.accounts.store.get_user(ann.id).role is Role.OPERATOR
    form(admin, f"/console/users/{ann.id}", {"role": "user"})
    form(admin, f"/console/users/{ann.id}", {"status": "disabled"})
    assert node.accounts.store.get_user(ann.id).status.value == "disabled"
    form(admin, f"/console/users/{ann.id}", {"status": "active"})
    events = [e.event for e in node.accounts.store.list_audit(limit=20)]
    assert {"role.change", "account.disable", "account.enable"} <= set(events)

    # A policy change in the console takes effect for users at once.
    with signed_in(node, "ann") as user:
        assert user.get("/search?collections=gf2-pms-l1a").json()["numberMatched"] > 0
        done = form(
            admin, "/console/policies/gf2-pms-l1a", {"visibility": "role", "roles": "operator", "data_access": "none"}
        )
        assert done.status_code == 303
        assert user.get("/search?collections=gf2-pms-l1a").json()["numberMatched"] == 0
        assert user.get("/collections/gf2-pms-l1a").status_code == 404
    policy = node.accounts.access.policy("gf2-pms-l1a")
    assert (policy.visibility.value, policy.data_access.value, [r.value for r in policy.roles]) == (
        "role",
        "none",
        ["operator"],
    )
    node.accounts.access.reset_policy("gf2-pms-l1a", actor="test")
    bad = form(admin, "/console/policies/gf2-pms-l1a", {"visibility": "secret"})
    assert bad.status_code == 400


def test_quarantine_reasons_and_retry(node: Node, admin: TestClient) -> None:
    inbox = node.settings.effective_inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "GF1_WFV1_E100.0_N30.0_20250101_L1A0000000001.tar.gz").write_bytes(b"not a gzip stream")
    box = node.inbox()
    box.run_once()
    box.unlock()
    page = admin.get("/console?lang=en").text
    assert 'data-package="GF1_WFV1_E100.0_N30.0_20250101_L1A0000000001.tar.gz"' in page
    assert "MalformedPackage" in page
    retried = form(admin, "/console/quarantine/GF1_WFV1_E100.0_N30.0_20250101_L1A0000000001.tar.gz/retry", {})
    assert retried.status_code == 303
    assert (inbox / "GF1_WFV1_E100.0_N30.0_20250101_L1A0000000001.tar.gz").exists()
    assert "Nothing is in quarantine." in admin.get("/console?lang=en").text
    assert any(e.event == "ingest.retry" for e in node.accounts.store.list_audit(limit=5))
    missing = form(admin, "/console/quarantine/nope.tar.gz/retry", {})
    assert missing.status_code == 404
    (inbox / "GF1_WFV1_E100.0_N30.0_20250101_L1A0000000001.tar.gz").unlink()


def test_console_in_chinese(admin: TestClient) -> None:
    page = admin.get("/console?lang=zh").text
    assert "管理控制台" in page and "访问策略" in page and "隔离区" in page


def test_background_work_shows_the_inbox_worker(node: Node, admin: TestClient, tmp_path: Path) -> None:
    """Packages waiting or being delivered, whether a worker holds the inbox, and what its recent
    rounds ingested or refused — from the status file, so any serving process can show it."""
    from eonode.ingest.worker import InboxWorker

    inbox = node.settings.effective_inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    page = admin.get("/console?lang=en").text
    assert "No inbox worker is running" in page and "The inbox is empty." in page
    (inbox / "partial.tar.gz.part").write_bytes(b"x" * 1234)
    page = admin.get("/console?lang=en").text
    assert 'data-job="partial.tar.gz.part"' in page and "being delivered" in page and "1,234" in page
    (inbox / "partial.tar.gz.part").unlink()
    packages = list(generate(tmp_path / "more", count=1, seed=99, families=("gf1-wfv",)))
    for package in packages:
        package.rename(inbox / package.name)
    (inbox / "GF1_WFV1_E101.0_N31.0_20250102_L1A0000000002.tar.gz").write_bytes(b"not a gzip stream")
    worker = InboxWorker(node)
    worker.poll_seconds = 0.1
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page = admin.get("/console?lang=en").text
            if "The inbox worker is running." in page and "MalformedPackage" in page and "(created)" in page:
                break
            time.sleep(0.2)
        assert "The inbox worker is running." in page and "Last round:" in page
        assert f"{packages[0].name.removesuffix('.tar.gz')} (created)" in page
        assert "GF1_WFV1_E101.0_N31.0_20250102_L1A0000000002.tar.gz: <code>MalformedPackage</code>" in page
    finally:
        worker.stop()
    assert "No inbox worker is running" in admin.get("/console?lang=en").text
