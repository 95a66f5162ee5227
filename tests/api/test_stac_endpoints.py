from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


def test_landing_page_links_and_conformance(client: TestClient) -> None:
    doc = client.get("/").json()
    assert doc["stac_version"] == "1.1.0" and doc["type"] == "Catalog"
    rels = {(link["rel"], link.get("method")) for link in doc["links"]}
    assert {("conformance", None), ("data", None), ("search", "GET"), ("search", "POST")} <= rels
    assert sum(1 for link in doc["links"] if link["rel"] == "child") == 6
    conformance = client.get("/conformance").json()["conformsTo"]
    assert "https://api.stacspec.org/v1.0.0/item-search#filter" in conformance


def test_browsers_get_a_page(client: TestClient) -> None:
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.headers["content-type"].startswith("text/html")
    assert "Image data hub" in response.text and 'id="total"' in response.text  # people get the portal
    # Nothing comes from elsewhere: every script, style, image and link is this node's own.
    refs = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert refs and all(r.startswith(("/", "#", "?", "http://testserver/")) for r in refs), refs


def test_collections(client: TestClient) -> None:
    doc = client.get("/collections").json()
    assert len(doc["collections"]) == 6
    one = client.get("/collections/gf2-pms").json()
    assert {link["rel"] for link in one["links"]} >= {"self", "items", "root", "parent"}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/collections/nope", "CollectionNotFound"),
        ("/collections/nope/items", "CollectionNotFound"),
        ("/collections/gf2-pms/items/nope", "ItemNotFound"),
        ("/collections/nope/items/nope", "CollectionNotFound"),
        ("/no/such/path", "NotFound"),
    ],
)
def test_unknown_ids_are_404_with_one_error_shape(client: TestClient, path: str, code: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == code and response.json()["description"]


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "10,20,0,-100"},
        {"bbox": "a,b,c,d"},
        {"bbox": "0,50,10,40"},
        {"datetime": "2020-13-01T00:00:00Z"},
        {"datetime": "../.."},
        {"datetime": "2021-01-01"},
        {"datetime": "2021-01-02T00:00:00Z/2021-01-01T00:00:00Z"},
        {"filter": "eo:cloud_cover <<< 3"},
        {"filter": "foo(bar)"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"token": "garbage"},
        {"sortby": "-"},
        {"filter-lang": "cql2-json", "filter": '{"op": "=", "args": [1]}'},
        {"filter": "eo:cloud_cover < 3", "filter-crs": "EPSG:3857"},
        {"bbox": "0,0,1,1", "intersects": '{"type":"Point","coordinates":[0,0]}'},
        {"intersects": '{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}'},
    ],
)
def test_bad_search_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"code", "description"} and body["description"]


def test_post_search_errors_are_400(client: TestClient) -> None:
    assert client.post("/search", content=b"{not json").status_code == 400
    assert client.post("/search", json={"fields": None}).status_code == 400
    assert client.post("/search", json={"bbox": [0, 0, 1]}).status_code == 400
    assert client.post("/search", json={"collections": "gf1-wfv,gf2-pms"}).status_code == 200


def test_oversize_bodies_are_413(client: TestClient) -> None:
    big = {"ids": ["x" * 100] * 1000}
    response = client.post("/search", json=big)
    assert response.status_code == 413
    assert response.json()["code"] == "PayloadTooLarge"


def test_search_paging_get_and_post(client: TestClient) -> None:
    first = client.get("/search", params={"limit": 7, "collections": "gf1-wfv,gf1-pms"}).json()
    total = first["numberMatched"]
    seen = [f["id"] for f in first["features"]]
    doc = first
    while nxt := next((link for link in doc["links"] if link["rel"] == "next"), None):
        doc = client.get(nxt["href"]).json()
        seen += [f["id"] for f in doc["features"]]
    assert len(seen) == len(set(seen)) == total > 7
    body = {"limit": 5, "collections": ["gf1-wfv"], "filter": "eo:cloud_cover <= 50"}
    doc = client.post("/search", json=body).json()
    posted = [f["id"] for f in doc["features"]]
    while nxt := next((link for link in doc["links"] if link["rel"] == "next"), None):
        assert nxt["method"] == "POST" and nxt["body"]["filter"] == body["filter"]
        doc = client.post("/search", json=nxt["body"]).json()
        posted += [f["id"] for f in doc["features"]]
    assert len(posted) == doc["numberMatched"] == len(set(posted))


def test_huge_limits_are_capped(client: TestClient) -> None:
    doc = client.get("/search", params={"limit": 1_000_000}).json()
    assert doc["numberReturned"] == 80 == doc["numberMatched"]


def test_item_links_and_local_asset_urls(client: TestClient) -> None:
    feature = client.get("/collections/gf1-wfv/items", params={"limit": 1}).json()["features"][0]
    item = client.get(f"/collections/gf1-wfv/items/{feature['id']}")
    assert item.headers["content-type"] == "application/geo+json" and item.headers["etag"]
    doc = item.json()
    assert {link["rel"] for link in doc["links"]} == {"self", "parent", "collection", "root"}
    href = doc["assets"]["data"]["href"]
    assert href.endswith(f"/collections/gf1-wfv/items/{doc['id']}/assets/data") and href.startswith("http")
    assert doc["assets"]["data"]["file:checksum"].startswith("1220")


def test_fields_extension(client: TestClient) -> None:
    only = client.get("/search", params={"fields": "properties.eo:cloud_cover", "limit": 1}).json()["features"][0]
    assert set(only) == {"type", "stac_version", "id", "collection", "properties"}
    assert set(only["properties"]) == {"eo:cloud_cover"}
    minus = client.post("/search", json={"fields": {"exclude": ["geometry"]}, "limit": 1}).json()["features"][0]
    assert "geometry" not in minus and "assets" in minus
    both = client.get("/search", params={"fields": "+geometry,-geometry", "limit": 1}).json()["features"][0]
    assert "geometry" in both
    default = client.post("/search", json={"fields": {"include": [], "exclude": ["geometry"]}, "limit": 1})
    doc = default.json()["features"][0]
    assert "geometry" not in doc and set(doc["properties"]) == {"datetime"} and "assets" in doc


def test_queryables(client: TestClient) -> None:
    response = client.get("/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["$id"].endswith("/queryables") and schema["type"] == "object"
    assert schema["properties"]["eo:cloud_cover"]["maximum"] == 100
    per = client.get("/collections/gf2-pms/queryables").json()
    assert per["properties"]["platform"]["enum"] == ["gf-2"]
    assert client.get("/collections/nope/queryables").status_code == 404


def test_openapi_document(client: TestClient) -> None:
    spec = client.get("/api").json()
    assert "/search" in spec["paths"] and spec["openapi"].startswith("3.")
    assert client.get("/api.html").status_code == 200


def test_unexpected_errors_are_500_with_the_error_shape(node, monkeypatch) -> None:
    from eonode.api.app import create_app

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(node.catalog, "search", broken)
    with TestClient(create_app(node), raise_server_exceptions=False) as c:
        response = c.get("/search")
    assert response.status_code == 500
    assert response.json() == {"code": "InternalError", "description": "internal error; the node's log has the details"}


def test_browsers_on_other_origins_may_read(client: TestClient) -> None:
    response = client.get("/collections", headers={"Origin": "https://radiantearth.github.io"})
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/search",
        headers={
            "Origin": "https://stac.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
