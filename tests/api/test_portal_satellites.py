"""Satellite pages: the registry by series, a page per satellite, links to the hub filtered on
the collections the visitor may see, in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eonode.api.app import create_app
from eonode.node import Node
from eonode.satellites import SERIES, satellites
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root: Path = tmp_path_factory.mktemp("sats")
    opened = Node.open(load_settings(data_dir=root / "node"))
    ingest_demo(opened, root / "packages", count=30, seed=3, families=("gf1-pms", "gf1-wfv", "gf2-pms"))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


def test_every_satellite_by_series(client: TestClient) -> None:
    page = client.get("/satellites").text
    for series in SERIES:
        assert f"{series} series" in page
    for sat in satellites():
        assert f'href="/satellites/{sat.id}"' in page
    # Only satellites with products here get a search link; it names exactly their collections.
    links = re.findall(r'href="/\?([^"]+)">Search its products', page)
    assert sorted(links) == [
        "collections=gf1-pms-l1a&amp;collections=gf1-wfv-l1a",
        "collections=gf2-pms-l1a",
    ]


def test_a_satellite_page(client: TestClient, node: Node) -> None:
    page = client.get("/satellites/GF1").text  # codes and aliases work too
    assert "GaoFen-1" in page and "645 km" in page and "2013-04-26" in page and "10:30 descending" in page
    assert "Panchromatic and multispectral camera" in page and "Wide field-of-view camera" in page
    search = re.search(r'href="(/\?collections=[^"]+)"', page)
    assert search is not None
    hub = client.get(search.group(1).replace("&amp;", "&"), headers={"Accept": "text/html"}).text
    api = client.get("/search?collections=gf1-pms-l1a,gf1-wfv-l1a").json()["numberMatched"]
    assert re.search(rf'id="total">Total {api}<', hub)
    chinese = client.get("/satellites/gf-1?lang=zh").text
    assert "高分一号" in chinese and "太阳同步轨道" in chinese and "有效载荷" in chinese
    assert client.get("/satellites/gf-99").status_code == 404


def test_hidden_collections_give_no_search_link(client: TestClient, node: Node) -> None:
    node.accounts.access.set_policy("gf2-pms-l1a", visibility="registered", actor="test")
    try:
        page = client.get("/satellites/gf-2?lang=en").text
        assert "/?collections=gf2-pms-l1a" not in page and "holds no products of this satellite" in page
    finally:
        node.accounts.access.reset_policy("gf2-pms-l1a", actor="test")
