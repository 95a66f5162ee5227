from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eonode.node import Node
from eonode.storage.store import blob_href


@pytest.fixture(scope="module")
def asset(client: TestClient) -> dict[str, Any]:
    item = client.get("/collections/gf1-pms/items", params={"limit": 1}).json()["features"][0]
    data = item["assets"]["data"]
    path = data["href"].split("testserver", 1)[1]
    return {"path": path, "sha256": data["file:checksum"][4:], "size": data["file:size"]}


def test_full_download_verifies(client: TestClient, asset: dict[str, Any]) -> None:
    response = client.get(asset["path"])
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == asset["sha256"]
    assert response.headers["etag"] == f'"{asset["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == asset["size"]
    assert "attachment" in response.headers["content-disposition"]


def test_head(client: TestClient, asset: dict[str, Any]) -> None:
    response = client.head(asset["path"])
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == asset["size"]


def test_ranges_resume(client: TestClient, asset: dict[str, Any]) -> None:
    full = client.get(asset["path"]).content
    size = asset["size"]
    part = client.get(asset["path"], headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == full[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{size}"
    tail = client.get(asset["path"], headers={"Range": "bytes=100-"})
    assert tail.status_code == 206 and full[:100] + tail.content == full
    suffix = client.get(asset["path"], headers={"Range": "bytes=-16"})
    assert suffix.content == full[-16:]
    beyond = client.get(asset["path"], headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    multi = client.get(asset["path"], headers={"Range": "bytes=0-1,5-6"})
    assert multi.status_code == 200 and multi.content == full


def test_conditional_requests(client: TestClient, asset: dict[str, Any]) -> None:
    etag = f'"{asset["sha256"]}"'
    assert client.get(asset["path"], headers={"If-None-Match": etag}).status_code == 304
    changed = client.get(asset["path"], headers={"Range": "bytes=5-", "If-Range": '"other"'})
    assert changed.status_code == 200 and len(changed.content) == asset["size"]
    same = client.get(asset["path"], headers={"Range": "bytes=5-", "If-Range": etag})
    assert same.status_code == 206


def test_missing_assets(client: TestClient, asset: dict[str, Any]) -> None:
    base = asset["path"].rsplit("/", 1)[0]
    assert client.get(f"{base}/nope").json()["code"] == "AssetNotFound"


def test_asset_bytes_are_never_compressed(client: TestClient, node: Node, auth: dict[str, str]) -> None:
    """A browser asks for gzip; the asset still comes as stored, whole or in ranges (text does not)."""
    data = bytes(range(256)) * 64  # compressible, and bigger than the middleware's threshold
    info = node.blobs.put([data])
    doc = client.get("/collections/gf1-pms/items", params={"limit": 1}).json()["features"][0]
    doc = {k: v for k, v in doc.items() if k not in ("links", "stac_extensions")}
    doc["id"] = "UNCOMPRESSED-ASSET"
    doc["assets"] = {
        "data": {
            "href": blob_href(info.sha256),
            "type": "image/tiff; application=geotiff",
            "roles": ["data"],
            "file:size": info.size,
            "file:checksum": info.multihash,
        }
    }
    assert client.post("/collections/gf1-pms/items", json=doc, headers=auth).status_code == 201
    path = "/collections/gf1-pms/items/UNCOMPRESSED-ASSET/assets/data"
    gzip = {"Accept-Encoding": "gzip"}
    whole = client.get(path, headers=gzip)
    assert "content-encoding" not in whole.headers and whole.headers["content-length"] == str(len(data))
    assert whole.content == data
    part = client.get(path, headers={**gzip, "Range": "bytes=100-2099"})
    assert part.status_code == 206 and "content-encoding" not in part.headers
    assert part.headers["content-length"] == "2000" and part.content == data[100:2100]
    listing = client.get("/collections/gf1-pms/items", params={"limit": 50}, headers=gzip)
    assert listing.headers["content-encoding"] == "gzip"
