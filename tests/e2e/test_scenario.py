"""The whole story in one browser, as issue 5 tells it: register with the code from a real SMTP
server, log in, search by area, satellite and cloud ("Total N" against the API), page through,
open a product and download it (sha256), switch to Chinese, and — as an administrator in another
browser — change a collection's policy and see the user's view change."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eonode.accounts.model import Role
from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo
from tests.e2e.conftest import Visit
from tests.mailsink import MailSink, running_sink
from tests.server.conftest import NodeProcess, start_node

pytestmark = [pytest.mark.server, pytest.mark.e2e]
PASSWORD = "Qinling-mountains-58"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailSink, int]]:
    yield from running_sink()


@pytest.fixture(scope="module")
def node(smtp: tuple[MailSink, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    root: Path = tmp_path_factory.mktemp("scenario")
    opened = Node.open(load_settings(data_dir=root / "node"))
    ingest_demo(opened, root / "packages", count=60, seed=21, families=("gf1-wfv", "gf1-pms", "gf2-pms", "gf6-wfv"))
    opened.accounts.users.add_user("chief", "chief@example.cn", PASSWORD, role=Role.ADMIN)
    opened.close()
    env = {
        "EONODE_SMTP_HOST": "127.0.0.1",
        "EONODE_SMTP_PORT": str(smtp[1]),
        "EONODE_DEFAULT_DATA_ACCESS": "registered",
    }
    proc = start_node(root / "node", env=env)
    yield proc
    proc.stop()


def shown_total(visit: Visit) -> int:
    found = re.search(r"([\d,]+)", visit.page.locator("#total").inner_text())
    assert found
    return int(found.group(1).replace(",", ""))


def test_register_search_download_translate_and_policy(
    browser: object, visit: Visit, node: NodeProcess, smtp: tuple[MailSink, int]
) -> None:
    from playwright.sync_api import expect

    sink, _port = smtp
    page = visit.page
    # Register with the e-mailed code, then log in.
    page.goto(f"{node.url}/account/register")
    page.get_by_label("Account name").fill("zhaolei")
    page.get_by_label("E-mail").fill("zhao.lei@example.cn")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text("zhao.lei@example.cn")
    page.get_by_label("Verification code").fill(sink.code("zhao.lei@example.cn"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()

    # Search: draw an area over eastern Asia, GaoFen-1 WFV, cloud at most 70 %.
    page.get_by_role("link", name="Image data hub").click()
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    page.get_by_role("button", name="Draw rectangle").click()
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] * 0.70, steps=6)
    page.mouse.up()
    bbox = [float(v) for v in page.locator("input[name=bbox]").input_value().split(",")]
    page.locator("details", has_text="GaoFen-1").first.locator("summary").click()
    page.locator("input[name=collections][value=gf1-wfv-l1a]").check()
    page.locator("#cloud_max").fill("70")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile("collections=gf1-wfv-l1a"))
    api = httpx.post(
        f"{node.url}/search",
        json={
            "bbox": bbox,
            "collections": ["gf1-wfv-l1a"],
            "filter-lang": "cql2-text",
            "filter": "eo:cloud_cover BETWEEN 0 AND 70 OR eo:cloud_cover IS NULL",
        },
        trust_env=False,
    ).json()
    assert shown_total(visit) == api["numberMatched"]

    # Page through everything of the node, then open a GF-1 WFV product and download it.
    page.goto(f"{node.url}/?collections=gf1-wfv-l1a&collections=gf1-pms-l1a")
    everything = shown_total(visit)
    listed: list[str] = []
    while True:
        listed += page.locator("li.result").evaluate_all("els => els.map(e => e.dataset.id)")
        following = page.get_by_role("link", name="Next")
        if following.count() == 0:
            break
        following.click()
    assert len(listed) == len(set(listed)) == everything
    page.goto(f"{node.url}/?collections=gf1-wfv-l1a")
    link = page.locator("li.result a").first
    product_id = link.inner_text()
    link.click()
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    data = page.locator("a[download]").first
    with page.expect_download() as download:
        data.click()
    item = httpx.get(f"{node.url}/collections/gf1-wfv-l1a/items/{product_id}", trust_env=False).json()
    digest = hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest()
    assert "1220" + digest in {a["file:checksum"] for a in item["assets"].values()}

    # Chinese pages.
    page.get_by_role("link", name="中文").click()
    nav = page.get_by_role("banner").get_by_role("link", name="影像数据中心")
    expect(nav).to_be_visible()
    nav.click()
    expect(page.locator("#total")).to_contain_text("共")
    before = shown_total(visit)

    # An administrator, in another browser, hides GaoFen-1 WFV from ordinary users.
    admin = Visit(browser)
    try:
        admin.page.goto(f"{node.url}/account/login?lang=en")
        admin.page.get_by_label("Account name or e-mail").fill("chief")
        admin.page.get_by_label("Password").fill(PASSWORD)
        admin.page.get_by_role("button", name="Log in").click()
        admin.page.goto(f"{node.url}/console?lang=en")
        row = admin.page.locator('tr[data-collection="gf1-wfv-l1a"]')
        row.locator("select[name=visibility]").select_option("role")
        row.locator("input[name=roles][value=operator]").check()
        row.get_by_role("button", name="Save").click()
        expect(admin.page.locator('tr[data-collection="gf1-wfv-l1a"] select[name=visibility]')).to_have_value("role")
    finally:
        admin.context.close()
    page.reload()
    hidden = api_total = httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"]
    assert shown_total(visit) == hidden == api_total < before
    assert page.locator("input[name=collections][value=gf1-wfv-l1a]").count() == 0
