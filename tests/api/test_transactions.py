from __future__ import annotations

from fastapi.testclient import TestClient

from eonode.catalog.testing import make_collection, make_item


def test_writes_need_the_admin_token(client: TestClient) -> None:
    response = client.post("/collections", json=make_collection("tx-noauth"))
    assert response.status_code == 401 and response.json()["code"] == "Unauthorized"
    response = client.post("/collections", json=make_collection("tx-noauth"), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert client.get("/collections/tx-noauth").status_code == 404


def test_collection_lifecycle(client: TestClient, auth: dict[str, str]) -> None:
    created = client.post("/collections", json=make_collection("tx-c"), headers=auth)
    assert created.status_code == 201
    assert created.headers["location"].endswith("/collections/tx-c")
    assert client.post("/collections", json=make_collection("tx-c"), headers=auth).status_code == 409
    etag = created.headers["etag"]
    stale = client.put(
        "/collections/tx-c", json=make_collection("tx-c", title="T"), headers={**auth, "If-Match": '"stale"'}
    )
    assert stale.status_code == 412
    put = client.put("/collections/tx-c", json=make_collection("tx-c", title="T"), headers={**auth, "If-Match": etag})
    assert put.status_code == 200 and put.json()["title"] == "T"
    patched = client.patch("/collections/tx-c", json={"title": None, "keywords": ["k"]}, headers=auth)
    assert patched.status_code == 200 and "title" not in patched.json() and patched.json()["keywords"] == ["k"]
    mismatch = client.put("/collections/tx-c", json=make_collection("other"), headers=auth)
    assert mismatch.status_code == 400
    assert client.delete("/collections/tx-c", headers=auth).status_code == 204
    assert client.get("/collections/tx-c").status_code == 404


def test_item_lifecycle(client: TestClient, auth: dict[str, str]) -> None:
    client.post("/collections", json=make_collection("tx-i"), headers=auth)
    created = client.post("/collections/tx-i/items", json=make_item("one", "tx-i"), headers=auth)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/geo+json"
    assert client.post("/collections/tx-i/items", json=make_item("one", "tx-i"), headers=auth).status_code == 409
    wrong = client.post("/collections/tx-i/items", json=make_item("two", "gf1-wfv"), headers=auth)
    assert wrong.status_code == 400
    bad = client.post(
        "/collections/tx-i/items", json=make_item("two", "tx-i", props={"eo:cloud_cover": 101}), headers=auth
    )
    assert bad.status_code == 400 and "unknown values must be null" in bad.json()["description"]
    put = client.put("/collections/tx-i/items/one", json=make_item("one", "tx-i", gsd=2.0), headers=auth)
    assert put.status_code == 200 and put.json()["properties"]["gsd"] == 2.0
    patch = client.patch(
        "/collections/tx-i/items/one", json={"properties": {"gsd": None, "eo:cloud_cover": 7}}, headers=auth
    )
    assert patch.status_code == 200
    props = client.get("/collections/tx-i/items/one").json()["properties"]
    assert "gsd" not in props and props["eo:cloud_cover"] == 7
    found = client.post("/search", json={"collections": ["tx-i"], "filter": "eo:cloud_cover = 7"}).json()
    assert found["numberMatched"] == 1
    assert client.put("/collections/tx-i/items/none", json=make_item("none", "tx-i"), headers=auth).status_code == 404
    assert client.delete("/collections/tx-i/items/one", headers=auth).status_code == 204
    assert client.get("/collections/tx-i/items/one").status_code == 404
    assert client.delete("/collections/tx-i/items/one", headers=auth).status_code == 404


def test_feature_collection_is_checked_before_anything_is_written(client: TestClient, auth: dict[str, str]) -> None:
    client.post("/collections", json=make_collection("tx-fc"), headers=auth)
    features = [make_item(f"f{n}", "tx-fc") for n in range(5)]
    features[3]["properties"]["datetime"] = "yesterday"
    response = client.post(
        "/collections/tx-fc/items", json={"type": "FeatureCollection", "features": features}, headers=auth
    )
    assert response.status_code == 400 and "feature 3" in response.json()["description"]
    assert client.get("/collections/tx-fc/items").json()["numberMatched"] == 0
    features[3]["properties"]["datetime"] = "2024-01-01T00:00:00Z"
    response = client.post(
        "/collections/tx-fc/items", json={"type": "FeatureCollection", "features": features}, headers=auth
    )
    assert response.status_code == 201 and response.json()["created"] == 5
