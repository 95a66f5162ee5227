"""What an agreement's mode means, between real node processes: a ``metadata`` child is a catalogue
mirror — it copies no bytes, sends its users to the parent's URL of the data (307) and says so on
the product page, and the parent refuses its key for data — while an ``on_demand`` child fetches
what its users ask for and keeps it. A mode changed by the parent's administrator takes effect
without restarting the child."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.federation.netkit import (
    ADMIN,
    NodeRun,
    blob_asset,
    enroll,
    http,
    post_item,
    product,
    tree_report,
    wait_for,
)

pytestmark = [pytest.mark.server]
ASSET = "/collections/gf1-wfv/items/{}/assets/data"


@pytest.fixture
def child(tmp_path: Path) -> Iterator[NodeRun]:
    node = NodeRun("child", tmp_path / "child", env={"EONODE_STATUS_SECONDS": "1"})
    yield node
    node.stop()


def published(main: NodeRun, item_id: str, size: int = 60_000) -> bytes:
    data = os.urandom(size)
    assert post_item(main, product(item_id, assets={"data": blob_asset(main, data)})).status_code == 201
    return data


def arrived(child: NodeRun, item_id: str) -> bool:
    with http() as client:
        return client.get(f"{child.url}/collections/gf1-wfv/items/{item_id}").status_code == 200


def test_a_metadata_child_sends_its_users_to_the_parent(main: NodeRun, child: NodeRun) -> None:
    data = published(main, "MIRROR")
    enroll(main, child, {"mode": "metadata"})
    child.start()
    wait_for(lambda: arrived(child, "MIRROR"), 20, "the item at the child")
    wait_for(lambda: tree_report(main, child.name).get("mode") == "metadata", 20, "the child's mode")
    parent_url = main.url + ASSET.format("MIRROR")
    with http() as client:
        doc = client.get(f"{child.url}/collections/gf1-wfv/items/MIRROR").json()
        assert doc["properties"]["eonode:availability"] == "remote"
        assert doc["assets"]["data"]["href"] == child.url + ASSET.format("MIRROR"), "users ask their own node"
        sent = client.get(doc["assets"]["data"]["href"])
        assert sent.status_code == 307 and sent.headers["Location"] == parent_url
        assert client.head(doc["assets"]["data"]["href"]).status_code == 307
        got = client.get(doc["assets"]["data"]["href"], follow_redirects=True)
        assert got.status_code == 200 and got.content == data
        page = client.get(f"{child.url}/collections/gf1-wfv/items/MIRROR", headers={"Accept": "text/html"})
        assert "Download from the parent node" in page.text and f'href="{parent_url}"' in page.text
        assert "Get from the parent node" not in page.text
        # the parent holds the child to its terms: no data with the child's own key
        refused = client.get(parent_url, headers={"Authorization": f"Bearer {child.key()}"})
        assert refused.status_code == 403 and "metadata only" in refused.json()["description"]
    time.sleep(2)
    blob = child.blobs.path(hashlib.sha256(data).hexdigest())
    assert not blob.exists() and not blob.with_name(blob.name + ".part").exists(), "a metadata child copied bytes"


def test_a_mode_change_takes_effect_without_a_restart(main: NodeRun, child: NodeRun) -> None:
    data = published(main, "SWITCH")
    child_id = enroll(main, child, {"mode": "metadata"})
    child.start()
    wait_for(lambda: arrived(child, "SWITCH"), 20, "the item at the child")
    url = child.url + ASSET.format("SWITCH")
    with http() as client:
        wait_for(lambda: client.get(url).status_code == 307, 20, "the redirect of a metadata child")
        changed = client.put(f"{main.url}/admin/nodes/{child_id}/agreement", json={"mode": "on_demand"}, headers=ADMIN)
        assert changed.status_code == 200, changed.text
        wait_for(lambda: tree_report(main, child.name).get("mode") == "on_demand", 20, "the child's new mode")

        def fetched() -> bytes | None:
            reply = client.get(url)
            if reply.status_code == 200:
                return reply.content
            assert reply.status_code == 503 and reply.json()["code"] == "FetchingUpstream", reply.text
            return None

        assert wait_for(fetched, 30, "the fetch through the child") == data
        assert (
            client.get(f"{child.url}/collections/gf1-wfv/items/SWITCH").json()["properties"]["eonode:availability"]
            == "online"
        ), "an on_demand child keeps what it fetched"
        back = client.put(f"{main.url}/admin/nodes/{child_id}/agreement", json={"mode": "metadata"}, headers=ADMIN)
        assert back.status_code == 200
        wait_for(lambda: tree_report(main, child.name).get("mode") == "metadata", 20, "the mode back")
        assert client.get(url).content == data, "a copy already here is still served here"
