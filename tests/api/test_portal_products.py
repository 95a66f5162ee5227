"""The product hub: thematic Level-2 products by theme, by source satellite/instrument and by
level; Total N is the API's count; hidden collections stay hidden."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eonode.api.app import create_app
from eonode.node import Node
from eonode.satellites import themes
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("products")
    opened = Node.open(load_settings(data_dir=root / "node"))
    ingest_demo(opened, root / "packages", count=24, seed=5, families=("thematic", "gf1-wfv"))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


def total(page: str) -> int:
    found = re.search(r'id="total">Total ([\d,]+)<', page)
    assert found, page[:300]
    return int(found.group(1).replace(",", ""))


def thematic(node: Node) -> list[dict[str, object]]:
    return [c for c in node.catalog.list_collections() if "eonode:theme" in c]


def test_all_themes_sources_and_levels(client: TestClient, node: Node) -> None:
    page = client.get("/products?lang=en").text
    for th in themes():
        assert th.title in page
    assert "HaiYang-1C COCTS" in page and "L2A" in page and "L2C" in page
    ids = [str(c["id"]) for c in thematic(node)]
    assert ids, "the demo mix makes thematic products"
    expected = client.get("/search", params={"collections": ",".join(ids)}).json()["numberMatched"]
    assert total(page) == expected > 0
    assert not re.search(r"GF1_WFV\d_", page)  # scenes (camera WFV1..4) belong to the image data hub


def test_filters_by_theme_source_and_level(client: TestClient, node: Node) -> None:
    coll = thematic(node)[0]
    theme_id = coll["eonode:theme"]["id"]  # type: ignore[index]
    sat, sensor = coll["eonode:satellite"]["id"], coll["eonode:sensor"]["id"]  # type: ignore[index]
    same_theme = [str(c["id"]) for c in thematic(node) if c["eonode:theme"]["id"] == theme_id]  # type: ignore[index]
    page = client.get(f"/products?theme={theme_id}&lang=en").text
    assert total(page) == client.get("/search", params={"collections": ",".join(same_theme)}).json()["numberMatched"]
    by_source = client.get(f"/products?source={sat}/{sensor}&lang=en").text
    assert total(by_source) > 0
    item = client.get("/search", params={"collections": coll["id"], "limit": 1}).json()["features"][0]
    level = item["properties"]["processing:level"]
    leveled = client.get(f"/products?theme={theme_id}&level={level}&lang=en").text
    assert item["id"] in leveled or total(leveled) > 10
    other = next(lv for lv in ("L2A", "L2B", "L2C") if lv != level)
    assert item["id"] not in client.get(f"/products?theme={theme_id}&level={other}&lang=en").text
    # Each result opens its product page: preview and downloads.
    product = client.get(f"/collections/{coll['id']}/items/{item['id']}", headers={"Accept": "text/html"}).text
    assert 'data-quicklook="http' in product and "netcdf" in product.lower()


def test_chinese_and_hidden(client: TestClient, node: Node) -> None:
    page = client.get("/products?lang=zh").text
    assert "产品数据中心" in page and "海表温度" in page and "土地覆盖" in page
    coll = str(thematic(node)[0]["id"])
    node.accounts.access.set_policy(coll, visibility="registered", actor="test")
    try:
        hidden = client.get("/products?lang=en").text
        ids = [str(c["id"]) for c in thematic(node) if c["id"] != coll]
        assert total(hidden) == client.get("/search", params={"collections": ",".join(ids)}).json()["numberMatched"]
    finally:
        node.accounts.access.reset_policy(coll, actor="test")
