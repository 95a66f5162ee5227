"""The console's Nodes page: who may see and decide, CSRF on every form, decisions that take effect
through ``node.children`` (and its audit), the tree from the children's reports, the territories
for the map, the lag charts, and the page in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from eonode.accounts.model import Role, UserStatus
from eonode.accounts.tokens import new_api_key
from eonode.api.app import create_app
from eonode.federation.agreement import Agreement
from eonode.federation.children import Child
from eonode.node import Node
from eonode.portal.nodes_page import branch, sparkline
from eonode.settings import load_settings

PASSWORD = "Pearl-river-estuary-48"
NAMES = count(1)
SQUARE = {"type": "Polygon", "coordinates": [[[100, 0], [110, 0], [110, 10], [100, 10], [100, 0]]]}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("nodes-page")
    opened = Node.open(load_settings(data_dir=root / "node"))
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


def asking(node: Node, **requested: Any) -> Child:
    """A new pending request (a fresh name each time, so tests do not depend on each other)."""
    wanted = requested or {"territory": ["CN"], "collections": ["gf1-wfv-l1a"], "max_cloud_cover": 40}
    return node.children.request(
        name=f"province-{next(NAMES)}",
        contact="ops@gd.example.cn",
        key=new_api_key().secret,
        organisation="Guangdong centre",
        country="CN",
        requested=wanted,
    )


def approved(node: Node, **requested: Any) -> Child:
    child = asking(node, **requested)
    return node.children.approve(child.id, Agreement.parse(child.requested), actor="test")


def territories(page: str) -> list[dict[str, Any]]:
    found = re.search(r'<script type="application/json" id="territories-data">(.*?)</script>', page, re.S)
    assert found, "no territories for the map"
    return list(orjson.loads(found.group(1)))


def test_who_may_see_and_decide(node: Node) -> None:
    child = asking(node)
    with TestClient(create_app(node)) as anonymous:
        response = anonymous.get("/console/nodes", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account/login?next=/console/nodes"
    with signed_in(node, "ann") as user:
        refused = user.get("/console/nodes?lang=en")
        assert refused.status_code == 403 and "only operators and administrators" in refused.text
        assert f'data-request="{child.name}"' not in refused.text
    with signed_in(node, "ops") as ops:
        page = ops.get("/console/nodes?lang=en")
        assert page.status_code == 200 and f'data-request="{child.name}"' in page.text
        assert "ops@gd.example.cn" in page.text and "Guangdong centre" in page.text
        assert ">Approve</button>" not in page.text and ">Revoke</button>" not in page.text
        tried = form(ops, f"/console/nodes/{child.id}/approve", {"agreement": ""})
        assert tried.status_code == 403
        assert form(ops, f"/console/nodes/{child.id}/reject", {"reason": "no"}).status_code == 403
    assert node.children.get(child.id).status == "pending"


def test_the_console_links_to_the_page(admin: TestClient) -> None:
    assert '<a href="/console/nodes">Nodes</a>' in admin.get("/console?lang=en").text


def test_approve_with_an_edited_agreement(node: Node, admin: TestClient) -> None:
    child = asking(node)
    page = admin.get("/console/nodes?lang=en").text
    assert f'data-request="{child.name}"' in page and "Territory: CN" in page and "gf1-wfv-l1a" in page
    assert "&#34;max_cloud_cover&#34;: 40" in page  # the textarea starts from the request

    forged = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": ""}, token=False)
    assert forged.status_code == 403 and node.children.get(child.id).status == "pending"
    broken = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": '{"territory": ["CN"'})
    assert broken.status_code == 400 and "invalid agreement" in broken.text
    assert "{&#34;territory&#34;: [&#34;CN&#34;" in broken.text  # kept as typed, to be fixed
    unknown = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": '{"territory": ["XX"]}'})
    assert unknown.status_code == 400 and "territory: unknown country code &#39;XX&#39;" in unknown.text
    assert node.children.get(child.id).status == "pending"

    edited = '{"territory": ["MNG"], "levels": ["L1A"], "mode": "metadata"}'
    done = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": edited})
    assert done.status_code == 303 and done.headers["location"] == "/console/nodes#tree"
    now = node.children.get(child.id)
    assert now.status == "approved" and now.agreement is not None
    assert (now.agreement.territory, now.agreement.levels, now.agreement.mode) == (("MN",), ("L1A",), "metadata")
    assert node.accounts.store.find_user(f"node-{child.name}") is not None
    assert any(e.event == "node.approve" and e.actor == "root" for e in node.accounts.store.list_audit(limit=10))
    again = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": ""})
    assert again.status_code == 409 and "only a pending or rejected request can be approved" in again.text


def test_approve_as_requested_reject_revoke_and_resync(node: Node, admin: TestClient) -> None:
    keep, drop = asking(node), asking(node)
    assert form(admin, f"/console/nodes/{keep.id}/approve", {"agreement": "  "}).status_code == 303
    assert node.children.get(keep.id).agreement == Agreement.parse(keep.requested)
    assert form(admin, f"/console/nodes/{drop.id}/reject", {"reason": "not a partner"}).status_code == 303
    assert (node.children.get(drop.id).status, node.children.get(drop.id).reason) == ("rejected", "not a partner")

    assert form(admin, f"/console/nodes/{keep.id}/resync", {"since": "42"}).status_code == 303
    assert node.children.get(keep.id).resync_from == 42
    bad = form(admin, f"/console/nodes/{keep.id}/resync", {"since": "-1"})
    assert bad.status_code == 400 and "sequence number" in bad.text
    page = admin.get("/console/nodes?lang=en").text
    assert "Asked to read its feed again from 42" in page and "not a partner" in page

    changed = form(admin, f"/console/nodes/{keep.id}/agreement", {"agreement": '{"territory": ["CN"], "mode": "full"}'})
    assert changed.status_code == 303 and node.children.get(keep.id).agreement.collections is None

    assert form(admin, f"/console/nodes/{keep.id}/revoke", {"reason": "left"}, token=False).status_code == 403
    assert form(admin, f"/console/nodes/{keep.id}/revoke", {"reason": "left the network"}).status_code == 303
    gone = node.children.get(keep.id)
    assert gone.status == "revoked" and gone.user_id is not None
    assert node.accounts.store.get_user(gone.user_id).status is UserStatus.DISABLED
    events = {e.event for e in node.accounts.store.list_audit(limit=20)}
    assert {"node.reject", "node.resync", "node.agreement", "node.revoke"} <= events
    tree = admin.get("/console/nodes?lang=en").text
    assert f'data-node="{keep.name}" data-status="revoked"' in tree and "left the network" in tree


def test_the_tree_shows_reports_and_the_nodes_below(node: Node, admin: TestClient) -> None:
    child = approved(node)
    grandchild = {"lag_events": 7, "items": 321, "connected": False, "children": [{"name": "sanya", "report": {}}]}
    for lag in (5, 3, 12):
        node.children.report(
            child,
            {
                "lag_events": lag,
                "lag_seconds": lag * 2.5,
                "items": 1234,
                "queue": 17,
                "connected": True,
                "errors": ["2026-01-01T00:00:00Z fetch failed: <script>alert(1)</script>"],
                "children": [{"name": "haikou", "reported": "2026-03-05T14:07:00+00:00", "report": grandchild}],
            },
        )
    page = admin.get("/console/nodes?lang=en").text
    row = page[page.index(f'data-node="{child.name}"') :]
    row = row[: row.index("</tbody>")]
    assert 'class="num">12</td>' in row and 'class="num">30</td>' in row  # the latest report's lag
    assert 'class="num">1,234</td>' in row and 'class="num">17</td>' in row and ">connected</td>" in row
    assert '<details class="errors"><summary>Recent errors (1)</summary>' in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<script>alert" not in row
    nested = row[row.index('<li data-node="haikou">') :]
    assert "behind by 7 events" in nested and "321 items" in nested and "not connected" in nested
    assert nested.index('<li data-node="sanya">') > nested.index('<ul class="subtree">')
    assert "no report yet" in nested[nested.index('data-node="sanya"') :]


def test_territories_for_the_map(node: Node, admin: TestClient) -> None:
    codes = approved(node, territory=["CN", "MN"])
    drawn = approved(node, territory=SQUARE)
    everywhere = approved(node, mode="metadata")
    page = admin.get("/console/nodes?lang=en").text
    by_name = {t["name"]: t for t in territories(page)}
    assert by_name[codes.name]["codes"] == ["CN", "MN"] and by_name[codes.name]["geometry"] is None
    assert by_name[drawn.name]["geometry"] == SQUARE and by_name[drawn.name]["codes"] is None
    assert (by_name[everywhere.name]["codes"], by_name[everywhere.name]["geometry"]) == (None, None)
    assert len({by_name[c.name]["colour"] for c in (codes, drawn, everywhere)}) == 3  # one colour each
    assert f'<li data-legend="{everywhere.name}">' in page and "everywhere" in page
    assert 'data-countries="/static/countries.geojson"' in page and "/static/portal/nodes.js" in page
    assert admin.get("/static/portal/nodes.js").status_code == 200


def test_lag_sparklines(node: Node, admin: TestClient) -> None:
    child = approved(node)
    for lag in range(0, 30, 3):
        node.children.report(child, {"lag_events": lag, "lag_seconds": float(lag) / 2})
    page = admin.get("/console/nodes?lang=en").text
    row = page[page.index(f'<tr data-lag="{child.name}">') :]
    row = row[: row.index("</tr>")]
    charts = re.findall(r'<svg class="spark"[^>]*aria-label="([^"]*)"><polyline points="([^"]*)"', row)
    assert len(charts) == 2
    (events_label, events), (_seconds_label, _points) = charts
    assert events_label == "Behind in events over 10 reports: now 27, at most 27"
    points = [tuple(map(float, p.split(","))) for p in events.split()]
    assert len(points) == 10 and points[0][1] > points[-1][1]  # rising lag: the line climbs


def test_the_page_in_chinese(node: Node, admin: TestClient) -> None:
    asking(node)
    page = admin.get("/console/nodes?lang=zh")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    for text in ("节点管理", "待审批的申请", "节点树", "服务区域", "同步延迟", "批准", "拒绝"):
        assert text in page.text
    child = asking(node)
    broken = form(admin, f"/console/nodes/{child.id}/approve", {"agreement": "[1]"})
    assert broken.status_code == 400 and "填写的内容无效（invalid agreement" in broken.text


def test_reports_are_checked_before_they_are_shown() -> None:
    """A child's report is its own say: values of the wrong type are left out, not trusted."""
    b = branch(None, "not a date", {"lag_events": "many", "connected": "yes", "errors": "x", "children": "no"})
    assert (b.name, b.reported, b.lag_events, b.connected, b.errors, b.children) == ("?", None, None, None, (), ())
    deep: dict[str, Any] = {}
    for level in range(20):
        deep = {"children": [{"name": f"n{level}", "report": deep}]}
    depth, at = 0, branch("top", None, deep)
    while at.children:
        depth, at = depth + 1, at.children[0]
    assert depth == 8
    assert branch("x", "2026-03-05T14:07:00", {}).reported is not None  # naive: taken as UTC
    assert sparkline([]) is None and sparkline([0, 0]) is not None
    single = sparkline([4])
    assert single is not None and single.points.count(",") == 2 and single.latest == single.highest == 4
