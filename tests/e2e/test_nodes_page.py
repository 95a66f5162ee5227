"""The console's Nodes page in a real browser: an administrator signs in, approves a waiting
request with an edited agreement, and the map draws each approved node's territory in its
legend colour from the shipped outlines (nothing fetched from elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eonode.accounts.model import Role
from eonode.accounts.tokens import new_api_key
from eonode.federation.agreement import Agreement
from eonode.node import Node
from eonode.settings import load_settings
from tests.e2e.conftest import Visit
from tests.server.conftest import NodeProcess, start_node

pytestmark = [pytest.mark.server, pytest.mark.e2e]
PASSWORD = "Hainan-island-Palm-61"
SEA = {"type": "Polygon", "coordinates": [[[105, 5], [118, 5], [118, 20], [105, 20], [105, 5]]]}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    data_dir: Path = tmp_path_factory.mktemp("nodes-browser")
    opened = Node.open(load_settings(data_dir=data_dir))
    opened.accounts.users.add_user("chief", "chief@example.cn", PASSWORD, role=Role.ADMIN)
    children = opened.children
    children.request(
        name="guangdong",
        contact="ops@gd.example.cn",
        key=new_api_key().secret,
        organisation="Guangdong centre",
        country="CN",
        requested={"territory": ["CN"], "collections": ["gf1-wfv-l1a"], "mode": "full"},
    )
    sea = children.request(name="south-sea", contact="ops@sea.example.cn", key=new_api_key().secret, requested={})
    sea = children.approve(sea.id, Agreement.parse({"territory": SEA, "mode": "metadata"}), actor="test")
    for lag in (40, 25, 31, 12, 6, 0):
        below = [{"name": "sanya", "reported": "2026-03-05T14:07:00+00:00", "report": {"lag_events": 2, "items": 90}}]
        children.report(
            sea, {"lag_events": lag, "lag_seconds": lag * 1.5, "items": 480, "connected": True, "children": below}
        )
    opened.close()
    proc = start_node(data_dir)
    yield proc
    proc.stop()


def test_approve_a_request_and_see_its_territory(visit: Visit, node: NodeProcess) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{node.url}/console/nodes")
    expect(page).to_have_url(f"{node.url}/account/login?next=/console/nodes")
    page.get_by_label("Account name or e-mail").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{node.url}/console/nodes")

    request = page.locator('tr[data-request="guangdong"]')
    expect(request).to_contain_text("ops@gd.example.cn")
    expect(page.locator("body")).to_have_attribute("data-territories-drawn", "1")  # south-sea, already approved
    request.get_by_text("Edit the agreement").click()
    request.get_by_label("Agreement (JSON)").fill('{"territory": ["CN", "MN"], "mode": "metadata"}')
    request.get_by_role("button", name="Approve").click()

    expect(page).to_have_url(f"{node.url}/console/nodes#tree")
    expect(page.locator('tbody[data-node="guangdong"]')).to_have_attribute("data-status", "approved")
    expect(page.locator('tbody[data-node="south-sea"] li[data-node="sanya"]')).to_be_visible()
    expect(page.locator('li[data-legend="guangdong"]')).to_contain_text("CN, MN")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    expect(page.locator("body")).to_have_attribute("data-territories-drawn", "2")
    colour = page.locator('li[data-legend="guangdong"] .swatch').evaluate("e => e.style.backgroundColor")
    strokes = page.locator(".leaflet-overlay-pane svg path.territory").evaluate_all(
        "paths => paths.map(p => getComputedStyle(p).stroke)"
    )
    assert strokes.count(colour) == 2, (colour, strokes)  # China and Mongolia, in the legend's colour
    expect(page.locator('tr[data-lag="south-sea"] svg.spark polyline')).to_have_count(2)
    visit.shot("nodes")
