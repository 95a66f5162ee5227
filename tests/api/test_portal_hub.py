"""The image data hub and product pages, server side: the URL holds the search, "Total N" is the
API's numberMatched, pages are the API's pages, hidden collections stay hidden, text is safe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from eonode.api.app import create_app
from eonode.geo.countries import country
from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("hub")
    opened = Node.open(load_settings(data_dir=root / "node"))
    ingest_demo(opened, root / "packages", count=60, seed=7)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


def total(page: str) -> int:
    found = re.search(r'id="total">Total ([\d,]+)', page)
    assert found, page[:500]
    return int(found.group(1).replace(",", ""))


def result_ids(page: str) -> list[str]:
    return re.findall(r'<li class="result" data-id="([^"]+)"', page)


def api_walk(client: TestClient, body: dict[str, object]) -> tuple[int, list[str]]:
    ids: list[str] = []
    doc = client.post("/search", json={**body, "limit": 50}).json()
    matched = doc["numberMatched"]
    while True:
        ids += [f["id"] for f in doc["features"]]
        nxt = next((ln for ln in doc["links"] if ln["rel"] == "next"), None)
        if nxt is None:
            return matched, ids
        doc = client.post("/search", json=nxt["body"]).json()


def test_total_and_pages_match_the_api(client: TestClient) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200 and "Image data hub" in page.text
    matched, ids = api_walk(client, {})
    assert total(page.text) == matched == 60
    assert result_ids(page.text) == ids[:10]
    assert page.text.count('class="badge online"') == 10  # this node holds every product's bytes
    second = client.get("/?page=2&limit=20", headers=HTML).text
    assert result_ids(second) == ids[20:40] and "Page 2 of 3" in second
    beyond = client.get("/?page=99", headers=HTML).text  # "go to page" past the end shows the last page
    assert result_ids(beyond) == ids[50:60] and "Page 6 of 6" in beyond


def test_filters_match_the_api(client: TestClient) -> None:
    url = "/?collections=gf1-pms-l1a&collections=gf2-pms-l1a&cloud_min=5&cloud_max=60&sort=cloud&level=L1A"
    page = client.get(url, headers=HTML).text
    matched, ids = api_walk(
        client,
        {
            "collections": ["gf1-pms-l1a", "gf2-pms-l1a"],
            "filter-lang": "cql2-text",
            "filter": "(eo:cloud_cover BETWEEN 5 AND 60 OR eo:cloud_cover IS NULL) AND processing:level = 'L1A'",
            "sortby": [
                {"field": "properties.eo:cloud_cover", "direction": "asc"},
                {"field": "datetime", "direction": "desc"},
            ],
        },
    )
    assert 0 < total(page) == matched and result_ids(page) == ids[:10]
    # The form keeps the search (bookmarkable): the checked boxes and the chosen values.
    assert 'value="gf1-pms-l1a" checked' in page and 'value="gf2-pms-l1a" checked' in page
    assert '<option value="cloud" selected>' in page and 'id="cloud_max" name="cloud_max" type="range"' in page
    no_unknown = client.get(url + "&cloud_unknown=0", headers=HTML).text
    assert total(no_unknown) <= total(page)


def test_area_searches(client: TestClient, node: Node) -> None:
    cn = client.get("/?country=CN", headers=HTML).text
    china = country("CN").geometry
    for item_id in result_ids(cn):
        doc = client.get(f"/search?ids={item_id}").json()["features"][0]
        assert shape(doc["geometry"]).intersects(china)
    boxed = client.get("/?bbox=70,15,135,55", headers=HTML).text
    assert total(boxed) == client.get("/search?bbox=70,15,135,55").json()["numberMatched"]
    polygon = '{"type":"Polygon","coordinates":[[[70,15],[135,15],[135,55],[70,15]]]}'
    drawn = client.get("/", params={"intersects": polygon}, headers=HTML).text
    assert (
        total(drawn)
        == client.post(
            "/search",
            json={
                "intersects": shapely.geometry.mapping(
                    shape({"type": "Polygon", "coordinates": [[[70, 15], [135, 15], [135, 55], [70, 15]]]})
                )
            },
        ).json()["numberMatched"]
    )
    bad = client.get("/?bbox=1,2,3", headers=HTML)
    assert bad.status_code == 400 and "bbox has 3 values" in bad.text


def test_chinese_and_the_satellite_tree(client: TestClient) -> None:
    page = client.get("/?lang=zh", headers=HTML).text
    assert "影像数据中心" in page and re.search(r"共 [\d,]+ 条", page) and "高分一号" in page
    english = client.get("/?lang=en", headers=HTML).text
    assert "GaoFen-1" in english and "sst-hy1c-cocts" not in english  # thematic products live in the product hub


def test_hidden_collections_and_product_pages(client: TestClient, node: Node) -> None:
    node.accounts.access.set_policy("gf2-pms-l1a", visibility="role", roles=["operator"], actor="test")
    try:
        page = client.get("/", headers=HTML).text
        assert 'value="gf2-pms-l1a"' not in page and not any(i.startswith("GF2") for i in result_ids(page))
        assert total(page) == client.get("/search").json()["numberMatched"]
    finally:
        node.accounts.access.reset_policy("gf2-pms-l1a", actor="test")
    item = client.get("/search?collections=gf1-pms-l1a&limit=1").json()["features"][0]
    product = client.get(f"/collections/gf1-pms-l1a/items/{item['id']}", headers=HTML)
    assert product.status_code == 200 and item["id"] in product.text
    assert 'data-quicklook="http' in product.text and "sign in to download data of gf1-pms-l1a" in product.text
    assert item["assets"]["data"]["file:checksum"] in product.text
    node.accounts.access.set_policy("gf1-pms-l1a", data_access="open", actor="test")
    try:
        opened = client.get(f"/collections/gf1-pms-l1a/items/{item['id']}", headers=HTML).text
        assert f'href="{item["assets"]["data"]["href"]}" download' in opened
    finally:
        node.accounts.access.reset_policy("gf1-pms-l1a", actor="test")
    assert client.get(f"/collections/gf1-pms-l1a/items/{item['id']}").headers["content-type"] == "application/geo+json"


def test_untrusted_text_stays_text(client: TestClient, node: Node) -> None:
    item = client.get("/search?collections=gf1-wfv-l1a&limit=1").json()["features"][0]
    stored = node.catalog.get_item("gf1-wfv-l1a", item["id"]).doc
    evil = {**stored, "properties": {**stored["properties"], "eonode:receiving_station": '</script><b id="x">MYC'}}
    node.catalog.put_item(evil)
    try:
        page = client.get(f"/collections/gf1-wfv-l1a/items/{item['id']}", headers=HTML).text
        assert '<b id="x">' not in page and "&lt;/script&gt;&lt;b id=&#34;x&#34;&gt;MYC" in page
    finally:
        node.catalog.put_item(stored)


def test_script_json_cannot_close_its_script() -> None:
    from eonode.portal.views import script_json

    text = script_json({"a": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    import orjson

    assert orjson.loads(text) == {"a": "</script><!-- & -->"}


def test_availability_filter_and_badges(client: TestClient, node: Node) -> None:
    """Ingested products are online; an item that only points elsewhere is remote and one the
    writer archived is offline; both count as "offline" in the hub."""
    sample = client.post("/search", json={"limit": 1}).json()["features"][0]
    assert sample["properties"]["eonode:availability"] == "online"
    stored = node.catalog.get_item(sample["collection"], sample["id"]).doc
    remote = {**stored, "id": stored["id"] + "-remote", "properties": dict(stored["properties"])}
    remote["assets"] = {**stored["assets"], "data": {**stored["assets"]["data"], "href": "https://up.example/x.tar"}}
    archived = {**stored, "id": stored["id"] + "-archived"}
    archived["properties"] = {**stored["properties"], "eonode:availability": "offline"}
    claimed = {**remote, "id": stored["id"] + "-claimed"}
    claimed["properties"] = {**stored["properties"], "eonode:availability": "online"}  # no bytes here
    for doc in (remote, archived, claimed):
        node.catalog.put_item(doc)
    try:
        everything = total(client.get("/", headers=HTML).text)
        online = client.get("/?availability=online", headers=HTML)
        offline = client.get("/?availability=offline&limit=50", headers=HTML)
        assert 'value="online" selected' in online.text
        api_online, _ = api_walk(client, {"filter": "eonode:availability = 'online'", "filter-lang": "cql2-text"})
        assert total(online.text) == api_online == everything - 3
        assert set(result_ids(offline.text)) == {remote["id"], archived["id"], claimed["id"]}
        assert total(offline.text) == 3
        assert offline.text.count('class="badge offline"') == 3
        served = {
            i: client.get(f"/collections/{stored['collection']}/items/{i}").json() for i in result_ids(offline.text)
        }
        assert {i: d["properties"]["eonode:availability"] for i, d in served.items()} == {
            remote["id"]: "remote",
            archived["id"]: "offline",
            claimed["id"]: "remote",
        }
    finally:
        for doc in (remote, archived, claimed):
            node.catalog.delete_item(doc["collection"], doc["id"])
