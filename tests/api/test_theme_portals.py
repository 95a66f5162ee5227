"""Theme portals from configuration: /p/NAME shows only its collections, with its own title,
logo and tiles opening curated searches; bad configuration is refused with a clear message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eonode.api.app import create_app
from eonode.errors import ConfigError
from eonode.node import Node
from eonode.portal.theme_portals import portals
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo

HTML = {"Accept": "text/html"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

BRICS = {
    "brics": {
        "title": "BRICS remote sensing satellite constellation",
        "title_zh": "金砖国家遥感卫星星座",
        "collections": ["gf6-*", "zy302-*", "cbers4-*"],
        "logo": "brics.png",
        "tiles": [
            {"title": "Burned area", "title_zh": "火烧迹地", "search": "collections=gf6-wfv-l1a&cloud_max=30"},
            {"title": "Water environment", "title_zh": "水环境", "search": "?collections=cbers4-mux-l2a"},
        ],
    }
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root: Path = tmp_path_factory.mktemp("portals")
    (root / "portals.json").write_text(json.dumps(BRICS), encoding="utf-8")
    (root / "brics.png").write_bytes(PNG)
    node = Node.open(load_settings(data_dir=root / "node", portals_file=root / "portals.json"))
    families = ("gf6-wfv", "gf6-pms", "cbers4-cresda", "gf2-pms", "gf1-wfv")
    ingest_demo(node, root / "packages", count=30, seed=4, families=families)
    with TestClient(create_app(node)) as c:
        yield c
    node.close()


def total(page: str) -> int:
    found = re.search(r'id="total">(?:Total|共) ([\d,]+)', page)
    assert found
    return int(found.group(1).replace(",", ""))


def test_a_portal_shows_only_its_collections(client: TestClient) -> None:
    page = client.get("/p/brics?lang=en").text
    assert "BRICS remote sensing satellite constellation" in page and 'src="/p/brics/logo"' in page
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    mine = [c for c in ids if c.startswith(("gf6-", "zy302-", "cbers4-"))]
    assert total(page) == client.get("/search", params={"collections": ",".join(mine)}).json()["numberMatched"]
    assert 'value="gf2-pms-l1a"' not in page and 'value="gf6-wfv-l1a"' in page
    # Asking for another collection inside the portal finds nothing; its own still work.
    assert total(client.get("/p/brics?collections=gf2-pms-l1a&lang=en").text) == 0
    wfv = client.get("/search?collections=gf6-wfv-l1a").json()["numberMatched"]
    assert total(client.get("/p/brics?collections=gf6-wfv-l1a&lang=en").text) == wfv
    assert 'action="/p/brics"' in page


def test_tiles_logo_and_language(client: TestClient) -> None:
    page = client.get("/p/brics?lang=zh").text
    assert "金砖国家遥感卫星星座" in page and "火烧迹地" in page
    assert 'href="/p/brics?collections=gf6-wfv-l1a&amp;cloud_max=30"' in page
    assert 'href="/p/brics?collections=cbers4-mux-l2a"' in page
    logo = client.get("/p/brics/logo")
    assert logo.status_code == 200 and logo.content == PNG
    assert client.get("/p/nope").status_code == 404


def test_bad_configuration_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "portals.json"
    for content, message in (
        ("{", "portals file"),
        (json.dumps({"Bad Name": {"collections": ["x"]}}), "lower-case name"),
        (json.dumps({"p": {"collections": []}}), "non-empty list"),
        (json.dumps({"p": {"collections": ["x"], "logo": "../etc/passwd"}}), "beside the portals file"),
    ):
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            portals(bad)
