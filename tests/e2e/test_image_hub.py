"""The image data hub in a real browser: draw an area, filter by satellite and cloud, page
through the results ("Total N" checked against the API), open a product and download it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo
from tests.e2e.conftest import Visit
from tests.server.conftest import NodeProcess, start_node

pytestmark = [pytest.mark.server, pytest.mark.e2e]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    root: Path = tmp_path_factory.mktemp("hub-browser")
    opened = Node.open(load_settings(data_dir=root / "node"))
    ingest_demo(opened, root / "packages", count=80, seed=11)
    opened.accounts.access.set_policy("gf1-wfv-l1a", data_access="open", actor="test")
    opened.close()
    proc = start_node(root / "node", env={"EONODE_DEFAULT_DATA_ACCESS": "registered"})
    yield proc
    proc.stop()


def shown_total(visit: Visit) -> int:
    text = visit.page.locator("#total").inner_text()
    found = re.search(r"([\d,]+)", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def test_draw_filter_page_open_and_download(visit: Visit, node: NodeProcess) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{node.url}/")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    everything = shown_total(visit)
    assert everything == httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"] == 80
    visit.shot("image-hub")

    # Draw a rectangle over China and eastern Asia, pick GF-1 WFV, limit the cloud cover.
    page.get_by_role("button", name="Draw rectangle").click()
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.70, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.92, box["y"] + box["height"] * 0.55, steps=6)
    page.mouse.up()
    bbox = page.locator("input[name=bbox]").input_value()
    assert len(bbox.split(",")) == 4
    page.locator("details", has_text="GaoFen-1").first.locator("summary").click()
    page.locator("input[name=collections][value=gf1-wfv-l1a]").check()
    page.locator("#cloud_max").fill("80")
    page.get_by_label("Availability").select_option("online")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"collections=gf1-wfv-l1a"))
    assert "availability=online" in page.url
    expected = httpx.post(
        f"{node.url}/search",
        json={
            "bbox": [float(v) for v in bbox.split(",")],
            "collections": ["gf1-wfv-l1a"],
            "filter-lang": "cql2-text",
            "filter": "(eo:cloud_cover BETWEEN 0 AND 80 OR eo:cloud_cover IS NULL) AND eonode:availability = 'online'",
        },
        trust_env=False,
    ).json()["numberMatched"]
    assert shown_total(visit) == expected

    # Back to everything: page through 10 at a time and jump with "go to page".
    page.goto(f"{node.url}/?limit=10")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager")).to_contain_text("Page 2 of 8")
    page.get_by_label("Go to page").fill("8")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("li.result")).to_have_count(10)
    assert "page=8" in page.url

    # Hovering a footprint on the map highlights its result in the list.
    page.locator(".leaflet-overlay-pane path.footprint").last.hover(force=True)
    expect(page.locator("li.result.hover")).to_have_count(1)
    page.goto(f"{node.url}/?collections=gf1-wfv-l1a")
    product_link = page.locator("li.result a").first
    product_id = product_link.inner_text()
    product_link.click()
    expect(page.get_by_role("heading", name=product_id)).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    visit.shot("product")
    data_href = page.locator("a[download]").filter(has_text="Download").first.get_attribute("href")
    assert data_href is not None
    with page.expect_download() as download:
        page.locator(f'a[href="{data_href}"]').click()
    saved = download.value.path()
    item = httpx.get(f"{node.url}/collections/gf1-wfv-l1a/items/{product_id}", trust_env=False).json()
    checksum = item["assets"]["data"]["file:checksum"]
    assert "1220" + hashlib.sha256(Path(saved).read_bytes()).hexdigest() == checksum


def test_phone_layout(browser: object, node: NodeProcess) -> None:
    """On a phone-sized screen nothing is wider than the screen, the map and form stack, and the
    search form is usable from the keyboard alone."""
    from playwright.sync_api import expect

    phone = Visit(browser, viewport={"width": 390, "height": 844})
    try:
        page = phone.page
        for path in ("/", "/products", "/satellites", "/account/login"):
            page.goto(f"{node.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone screen"
        page.goto(f"{node.url}/")
        expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
        form_box, map_box = page.locator("#search-form").bounding_box(), page.locator("#map").bounding_box()
        assert form_box is not None and map_box is not None
        assert map_box["y"] >= form_box["y"] + form_box["height"] - 1, "map and form should stack on a phone"
        phone.shot("image-hub-phone")
        page.get_by_label("Availability").focus()
        page.keyboard.press("ArrowDown")  # choose "online" without a mouse
        page.get_by_role("button", name="Search", exact=True).focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"availability=online"))
        assert shown_total(phone) == 80
        page.locator("li.result a").first.click()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the product page is {overflow} px wider than a phone screen"
    finally:
        phone.context.close()
    assert phone.hosts <= {"127.0.0.1"}, f"pages requested other hosts: {phone.hosts}"


def test_new_arrivals_are_announced(visit: Visit, node: NodeProcess) -> None:
    """A product catalogued while the hub is open is announced on the page, with a link to show it."""
    from playwright.sync_api import expect

    from tests.server.conftest import ADMIN_TOKEN

    page = visit.page
    page.goto(f"{node.url}/")
    expect(page.locator("body")).to_have_attribute("data-map-ready", "1")
    assert page.locator("#arrivals").is_hidden()
    template = httpx.get(f"{node.url}/search?limit=1", trust_env=False).json()["features"][0]
    fresh = {k: v for k, v in template.items() if k != "links"}
    fresh["id"], fresh["assets"] = template["id"] + "-ARRIVED", {}
    made = httpx.post(
        f"{node.url}/collections/{fresh['collection']}/items",
        json=fresh,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        trust_env=False,
    )
    assert made.status_code == 201, made.text
    try:
        expect(page.locator("#arrivals")).to_be_visible(timeout=25_000)
        expect(page.locator("#arrivals a")).to_contain_text("1")
        page.locator("#arrivals a").click()
        expect(page.locator(f'li.result[data-id="{fresh["id"]}"]')).to_be_visible()
    finally:
        httpx.delete(
            f"{node.url}/collections/{fresh['collection']}/items/{fresh['id']}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            trust_env=False,
        )
