"""A main node and two child nodes as real processes over loopback HTTP: enrollment, territories
and agreements, instant push, full copies verified and acknowledged, deletions and items leaving
scope, status reports up the tree, revocation."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from shapely.geometry import mapping

from eonode.geo.countries import country
from eonode.node import Node
from eonode.settings import load_settings
from tests.demo_nodes import ingest_demo
from tests.federation.netkit import wait_for
from tests.server.conftest import ADMIN_TOKEN, NodeProcess, start_node

pytestmark = [pytest.mark.server]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
AGREEMENTS = {
    "sub-cn": {"territory": ["CN"], "mode": "full"},
    "sub-br": {"territory": ["BR", "AR"], "max_cloud_cover": 30, "mode": "metadata"},
}


@dataclass
class Network:
    main: NodeProcess
    children: dict[str, NodeProcess]
    keys: dict[str, str]
    ids: dict[str, int]


def eonode(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "eonode", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ids(url: str, body: dict[str, Any] | None = None) -> set[str]:
    found: set[str] = set()
    doc = httpx.post(f"{url}/search", json={**(body or {}), "limit": 500}, headers=ADMIN, trust_env=False).json()
    found |= {f["id"] for f in doc["features"]}
    assert doc["numberMatched"] == len(found)
    return found


def expected(net: Network, name: str) -> set[str]:
    a = AGREEMENTS[name]
    area = country(a["territory"][0]).geometry
    for code in a["territory"][1:]:
        area = area.union(country(code).geometry)
    body: dict[str, Any] = {"intersects": mapping(area)}
    if "max_cloud_cover" in a:
        body |= {
            "filter-lang": "cql2-text",
            "filter": f"eo:cloud_cover <= {a['max_cloud_cover']} OR eo:cloud_cover IS NULL",
        }
    return ids(net.main.url, body)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    root: Path = tmp_path_factory.mktemp("network")
    opened = Node.open(load_settings(data_dir=root / "main"))
    ingest_demo(opened, root / "packages", count=60, seed=21)
    opened.close()
    main = start_node(root / "main")
    children: dict[str, NodeProcess] = {}
    keys: dict[str, str] = {}
    numbers: dict[str, int] = {}
    try:
        for name, agreement in AGREEMENTS.items():
            eonode(
                "node",
                "join",
                "--parent",
                main.url,
                "--name",
                name,
                "--contact",
                f"ops@{name}.example.org",
                "--territory",
                ",".join(agreement["territory"]),
                "--data-dir",
                str(root / name),
            )
            keys[name] = orjson.loads((root / name / "federation" / "parent.json").read_bytes())["key"]
        listed = httpx.get(f"{main.url}/admin/nodes", headers=ADMIN, trust_env=False).json()["nodes"]
        for entry in listed:
            numbers[entry["name"]] = entry["id"]
            assert entry["status"] == "pending"
            approved = httpx.post(
                f"{main.url}/admin/nodes/{entry['id']}/approve",
                json={"agreement": AGREEMENTS[entry["name"]]},
                headers=ADMIN,
                trust_env=False,
            )
            assert approved.status_code == 200, approved.text
        for name in AGREEMENTS:
            children[name] = start_node(
                root / name, env={"EONODE_STATUS_SECONDS": "1", "EONODE_RECONCILE_SECONDS": "2"}
            )
        yield Network(main, children, keys, numbers)
    finally:
        for child in children.values():
            child.stop()
        main.stop()


def test_each_child_gets_exactly_its_agreement(net: Network) -> None:
    for name, child in net.children.items():
        want = expected(net, name)
        assert want, f"the demo data should have products for {name}"
        wait_for(lambda c=child, w=want: ids(c.url) == w, what=f"{name} catching up")
    assert not ids(net.children["sub-cn"].url) & ids(net.children["sub-br"].url)


def test_full_copies_are_verified_online_and_acknowledged(net: Network) -> None:
    child = net.children["sub-cn"]
    want = expected(net, "sub-cn")

    def all_online() -> bool:
        doc = httpx.post(f"{child.url}/search", json={"limit": 500}, trust_env=False).json()
        return len(doc["features"]) == len(want) and all(
            f["properties"].get("eonode:availability") == "online" for f in doc["features"]
        )

    wait_for(all_online, 60, "full copies at sub-cn")
    item = httpx.post(f"{child.url}/search", json={"limit": 1}, trust_env=False).json()["features"][0]
    data = item["assets"]["data"]
    assert data["href"].startswith(child.url)
    body = httpx.get(data["href"], headers=ADMIN, trust_env=False, follow_redirects=True).content
    assert "1220" + hashlib.sha256(body).hexdigest() == data["file:checksum"]
    delivered = wait_for(
        lambda: httpx.get(
            f"{net.main.url}/admin/nodes/{net.ids['sub-cn']}/deliveries", headers=ADMIN, trust_env=False
        ).json()["deliveries"],
        what="acknowledgements at the main node",
    )
    assert {d["item"] for d in delivered} <= want
    wait_for(
        lambda: (
            {
                d["item"]
                for d in httpx.get(
                    f"{net.main.url}/admin/nodes/{net.ids['sub-cn']}/deliveries", headers=ADMIN, trust_env=False
                ).json()["deliveries"]
            }
            == want
        ),
        what="every product acknowledged",
    )
    metadata_only = httpx.post(f"{net.children['sub-br'].url}/search", json={"limit": 500}, trust_env=False).json()
    assert {f["properties"].get("eonode:availability") for f in metadata_only["features"]} == {"remote"}


def _item_in(net: Network, code: str) -> dict[str, Any]:
    found = httpx.post(
        f"{net.main.url}/search",
        json={"intersects": mapping(country(code).geometry), "limit": 1},
        headers=ADMIN,
        trust_env=False,
    ).json()["features"]
    assert found, f"no demo product in {code}"
    return found[0]


def test_new_products_are_pushed_deleted_and_leave_scope(net: Network) -> None:
    main, child = net.main.url, net.children["sub-cn"].url
    template = _item_in(net, "CN")
    fresh = {k: v for k, v in template.items() if k != "links"}
    fresh["id"] = template["id"] + "-NEW"
    fresh["assets"] = {}
    started = time.monotonic()
    made = httpx.post(f"{main}/collections/{fresh['collection']}/items", json=fresh, headers=ADMIN, trust_env=False)
    assert made.status_code == 201, made.text
    item_url = f"/collections/{fresh['collection']}/items/{fresh['id']}"
    wait_for(lambda: httpx.get(f"{child}{item_url}", trust_env=False).status_code == 200, 10, "the push")
    latency = time.monotonic() - started
    assert latency < 5, f"the push took {latency:.2f} s"
    assert httpx.get(f"{net.children['sub-br'].url}{item_url}", trust_env=False).status_code == 404
    # moved out of China: it leaves sub-cn
    moved = {
        **fresh,
        "geometry": {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]]},
    }
    moved.pop("bbox", None)
    assert httpx.put(f"{main}{item_url}", json=moved, headers=ADMIN, trust_env=False).status_code == 200
    wait_for(lambda: httpx.get(f"{child}{item_url}", trust_env=False).status_code == 404, 10, "leaving scope")
    # back in, then deleted at the main node
    assert httpx.put(f"{main}{item_url}", json=fresh, headers=ADMIN, trust_env=False).status_code == 200
    wait_for(lambda: httpx.get(f"{child}{item_url}", trust_env=False).status_code == 200, 10, "entering again")
    assert httpx.delete(f"{main}{item_url}", headers=ADMIN, trust_env=False).status_code == 204
    wait_for(lambda: httpx.get(f"{child}{item_url}", trust_env=False).status_code == 404, 10, "the deletion")


def test_reports_come_up_and_the_tree_shows_them(net: Network) -> None:
    held = len(expected(net, "sub-cn"))

    def reported() -> dict[str, Any] | None:
        tree = httpx.get(f"{net.main.url}/admin/nodes/tree", headers=ADMIN, trust_env=False).json()
        reports = {c["name"]: c["report"] for c in tree["children"]}
        ok = all(r.get("lag_events") == 0 and r.get("connected") for r in reports.values())
        ok = ok and reports.get("sub-cn", {}).get("items") == held  # a report after the last change
        return tree if ok and set(reports) == set(AGREEMENTS) else None

    tree = wait_for(reported, 30, "status reports with no lag")
    by_name = {c["name"]: c for c in tree["children"]}
    assert by_name["sub-cn"]["report"]["mode"] == "full" and by_name["sub-br"]["report"]["mode"] == "metadata"
    printed = eonode("nodes", "status", "--data-dir", str(net.main.data_dir))
    assert "sub-cn  [approved]  lag 0 events" in printed and "sub-br  [approved]" in printed


def test_a_node_credential_reaches_only_its_own_data(net: Network) -> None:
    """sub-cn's key downloads data in its territory, not Brazil's; sub-br (metadata only) downloads
    none; a node key reads its own feed only."""
    key = {"Authorization": f"Bearer {net.keys['sub-cn']}"}
    mine = _item_in(net, "CN")
    theirs = _item_in(net, "BR")

    def data_of(item: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        url = f"{net.main.url}/collections/{item['collection']}/items/{item['id']}/assets/data"
        return httpx.get(url, headers=headers, trust_env=False)

    own = data_of(mine, key)
    assert own.status_code == 200, own.text
    other = data_of(theirs, key)
    assert other.status_code == 403 and "agreement" in other.json()["description"]
    mirror = data_of(theirs, {"Authorization": f"Bearer {net.keys['sub-br']}"})
    assert mirror.status_code == 403 and "metadata only" in mirror.json()["description"]
    assert httpx.get(f"{net.main.url}/changes", headers=key, trust_env=False).status_code == 403
    feed = httpx.get(f"{net.main.url}/federation/feed?limit=5000", headers=key, trust_env=False).json()
    assert theirs["id"] not in {e.get("item") for e in feed["events"] if e.get("op") == "put"}


def test_a_revoked_node_is_refused_at_once(net: Network) -> None:
    key = {"Authorization": f"Bearer {net.keys['sub-br']}"}
    assert httpx.get(f"{net.main.url}/federation/feed", headers=key, trust_env=False).status_code == 200
    revoked = httpx.post(
        f"{net.main.url}/admin/nodes/{net.ids['sub-br']}/revoke",
        json={"reason": "test"},
        headers=ADMIN,
        trust_env=False,
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = httpx.get(f"{net.main.url}/federation/feed", headers=key, trust_env=False)
    assert refused.status_code in (401, 403), refused.text
    # a user key or no key cannot read a child's feed either
    assert httpx.get(f"{net.main.url}/federation/feed", trust_env=False).status_code == 401


def test_reconciliation_repairs_holes_extras_and_damaged_copies(net: Network) -> None:
    """What the feed can no longer fix — an item deleted behind the child's back, a copy the parent
    no longer has for it, bytes damaged on its disk — the periodic comparison repairs."""
    child = net.children["sub-cn"]
    want = expected(net, "sub-cn")
    wait_for(lambda: ids(child.url) == want, what="sub-cn catching up")
    victim = sorted(want)[0]
    doc = httpx.get(f"{child.url}/search?ids={victim}", trust_env=False).json()["features"][0]
    item_url = f"{child.url}/collections/{doc['collection']}/items/{victim}"
    assert httpx.delete(item_url, headers=ADMIN, trust_env=False).status_code == 204
    extra = {k: v for k, v in doc.items() if k != "links"}
    extra["id"] = victim + "-ORPHAN"
    made = httpx.post(f"{child.url}/collections/{doc['collection']}/items", json=extra, headers=ADMIN, trust_env=False)
    assert made.status_code == 201, made.text
    # damage one copied blob on the child's disk (same length, different bytes)
    online = [
        f
        for f in httpx.post(f"{child.url}/search", json={"limit": 500}, trust_env=False).json()["features"]
        if f["id"] != victim and f["properties"].get("eonode:availability") == "online"
    ]
    damaged = online[0]
    sha = damaged["assets"]["data"]["file:checksum"][4:]
    blob = child.data_dir / "blobs" / sha[:2] / sha[2:4] / sha
    assert blob.exists(), blob
    blob.write_bytes(b"\0" * blob.stat().st_size)

    def repaired() -> bool:
        back = httpx.get(item_url, trust_env=False).status_code == 200
        orphan_gone = httpx.get(f"{item_url}-ORPHAN", trust_env=False).status_code == 404
        again = httpx.get(f"{child.url}/collections/{damaged['collection']}/items/{damaged['id']}", trust_env=False)
        data = again.json()["assets"]["data"]
        fixed = (
            again.json()["properties"].get("eonode:availability") == "online"
            and blob.exists()
            and (hashlib.sha256(blob.read_bytes()).hexdigest() == sha)
        )
        return back and orphan_gone and fixed and data["href"].startswith(child.url)

    wait_for(repaired, 60, "reconciliation")
    assert ids(child.url) == want

    def reported() -> bool:  # the next status report tells the parent what was repaired
        tree = httpx.get(f"{net.main.url}/admin/nodes/tree", headers=ADMIN, trust_env=False).json()
        report = next(c["report"] for c in tree["children"] if c["name"] == "sub-cn")
        return any("damaged" in e for e in report["errors"])

    wait_for(reported, 15, "the damaged copy in a status report")
