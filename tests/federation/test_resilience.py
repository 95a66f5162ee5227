"""Federation under trouble, with real node processes over loopback: a child killed in the middle
of a large transfer, a parent that goes down while products keep coming, corrupt bytes at the
source, revocation, and writes racing a transfer.

Tests marked with :func:`bug` show a defect of the federation code as it stands: they fail
today with :class:`Defect` (reported as XFAIL, reason ``BUG: …``), any other failure of theirs is
a real one, and once the defect is fixed they pass — an XPASS, which ``strict`` turns into a
failure so that the marker is removed.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from eonode.node import Node
from eonode.settings import load_settings
from tests.federation.netkit import (
    ADMIN,
    NodeRun,
    Proxy,
    big_blob_asset,
    blob_asset,
    downloads,
    enroll,
    features,
    http,
    node_user_id,
    post_item,
    product,
    sha256_file,
    tree_report,
    wait_for,
)

pytestmark = [pytest.mark.server]
MiB = 1024 * 1024


class Defect(AssertionError):
    """The wrong behaviour a :func:`bug` test is there to show."""


def bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=Defect, reason=f"BUG: {reason}")


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Defect(message)


@pytest.fixture
def child(tmp_path: Path) -> Iterator[NodeRun]:
    node = NodeRun("child", tmp_path / "child", env={"EONODE_STATUS_SECONDS": "1", "EONODE_LOG_LEVEL": "info"})
    yield node
    node.stop()


def part_files(node: NodeRun, sha: str) -> tuple[Path, Path, Path]:
    dest = node.blobs.path(sha)
    return dest, dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def saved_bytes(sidecar: Path) -> int:
    """Bytes a transfer's sidecar records as written (what a restart in the same boot resumes from)."""
    try:
        return sum(end - start for start, end in orjson.loads(sidecar.read_bytes())["written"])
    except (FileNotFoundError, orjson.JSONDecodeError, KeyError):
        return 0


def item_at(node: NodeRun, collection: str, item_id: str) -> dict[str, Any] | None:
    with http() as client:
        got = client.get(f"{node.url}/collections/{collection}/items/{item_id}")
    return got.json() if got.status_code == 200 else None


def revs(node: NodeRun) -> dict[str, int]:
    return {f["id"]: f["properties"].get("eonode:rev", 0) for f in features(node.url)}


def availability(node: NodeRun) -> dict[str, str]:
    return {f["id"]: f["properties"].get("eonode:availability", "") for f in features(node.url)}


# -- (1) a child killed in the middle of a large transfer ----------------------------------------------
def test_a_transfer_killed_mid_way_resumes_from_its_checkpoint(main: NodeRun, child: NodeRun) -> None:
    size = 240 * MiB
    asset = big_blob_asset(main, size, seed=7)
    sha = asset["file:checksum"][4:]
    # The agreement's cap would make the copy take about 10 s; the proxy paces it as well
    # (4 ranges at 6 MB/s each), so the test does not depend on the cap being honoured.
    with Proxy(main.url, rate=6_000_000) as proxy:
        enroll(main, child, {"mode": "full", "bandwidth_limit": 24_000_000}, via=proxy.url)
        user = node_user_id(main, child.name)
        assert post_item(main, product("BIG-1", assets={"data": asset})).status_code == 201
        dest, part, sidecar = part_files(child, sha)

        child.start()
        wait_for(lambda: saved_bytes(sidecar) >= size * 0.35, 40, "a third of the asset checkpointed")
        child.kill()
        kept = saved_bytes(sidecar)
        assert part.exists() and sidecar.exists() and not dest.exists()
        assert 0 < kept < size
        wait_for(lambda: all(d["finished"] for d in downloads(main, user)), 20, "the parent closing the cut downloads")
        first = downloads(main, user)

        child.start()
        wait_for(dest.exists, 40, "the resumed transfer")
        # the proxy is the child's way to its parent: it stays until the copy is acknowledged
        wait_for(lambda: availability(child).get("BIG-1") == "online", 10, "the item online at the child")
    assert sha256_file(dest) == sha
    assert not part.exists() and not sidecar.exists()
    wait_for(lambda: all(d["finished"] for d in downloads(main, user)), 20, "the parent closing the downloads")
    second = [d for d in downloads(main, user) if d["id"] > max(d["id"] for d in first)]
    fetched_again = sum(d["bytes"] for d in second)
    # Only the ranges the sidecar did not record travel again: nothing checkpointed is re-sent.
    assert fetched_again == size - kept, (fetched_again, size, kept)
    assert f"resuming {sha}: {kept} of {size} bytes already on disk" in child.log_text()
    print(
        f"\nkilled with {kept / MiB:.0f} of {size / MiB:.0f} MiB checkpointed; {fetched_again / MiB:.0f} MiB re-fetched"
    )


def test_the_agreements_bandwidth_cap_is_honoured(main: NodeRun, child: NodeRun) -> None:
    """The cap paces a copy (test (1) paces through a proxy as well, not to depend on it)."""
    size = 24 * MiB
    asset = big_blob_asset(main, size, seed=5)
    dest, part, _sidecar = part_files(child, asset["file:checksum"][4:])
    enroll(main, child, {"mode": "full", "bandwidth_limit": 8_000_000})  # (24 MiB - a 2 MB burst) / 8 MB/s
    assert post_item(main, product("CAPPED", assets={"data": asset})).status_code == 201
    child.start()
    began = wait_for(lambda: part.exists() and time.monotonic(), 20, "the transfer under way", every=0.01)
    ended = wait_for(lambda: dest.exists() and time.monotonic(), 30, "the copy", every=0.01)
    assert ended - began >= 2.5, f"{size / MiB:.0f} MiB arrived in {ended - began:.2f} s despite a cap of 8 MB/s"


# -- (2) the parent down for a while -------------------------------------------------------------------
def test_children_retry_through_a_parent_outage_then_catch_up_without_gaps(main: NodeRun, child: NodeRun) -> None:
    enroll(main, child, {"mode": "full", "territory": ["CN"]})
    with http() as client:
        for k in range(8):
            doc = product(f"A-{k}", lon=100 + k, assets={"data": blob_asset(main, os.urandom(200_000 + k))})
            assert post_item(main, doc, client).status_code == 201
    child.start()
    wait_for(lambda: availability(child) == {f"A-{k}": "online" for k in range(8)}, 30, "the first products")

    main.kill()
    down_at = time.monotonic()
    # The processing system goes on cataloguing while the API is down (the same database).
    node = Node.open(load_settings(data_dir=main.data_dir))
    try:
        for k in range(8):
            doc = product(f"B-{k}", lon=100 + k, lat=35, assets={"data": blob_asset(main, os.urandom(150_000 + k))})
            node.catalog.put_item(doc)
        node.catalog.put_item(product("A-0", lon=100, cloud=55.0, rev=1, assets=item_assets(node, "A-0")))
        node.catalog.put_item(product("A-1", lon=101, cloud=66.0, rev=1, assets=item_assets(node, "A-1")))
        node.catalog.delete_item("gf1-wfv", "A-2")
        node.catalog.delete_item("gf1-wfv", "A-3")
        node.catalog.put_item(product("OUT-0", lon=-50, lat=-10))  # outside the territory
    finally:
        node.close()
    wait_for(lambda: child.log_text().count("feed connection lost") >= 2, 20, "the child retrying", every=0.2)
    time.sleep(max(0.0, 4.0 - (time.monotonic() - down_at)))
    main.start()
    restarted = time.monotonic()
    with http() as client:
        for k in range(8):
            doc = product(f"C-{k}", lon=100 + k, lat=25, assets={"data": blob_asset(main, os.urandom(100_000 + k))})
            assert post_item(main, doc, client).status_code == 201

    want = {i: r for i, r in revs(main).items() if not i.startswith("OUT")}
    assert len(want) == 22
    wait_for(lambda: revs(child) == want, 45, "the child catching up")
    caught_up = time.monotonic() - restarted
    wait_for(lambda: set(availability(child).values()) == {"online"}, 30, "every product online at the child")
    with http() as client:
        last_seq = client.get(f"{main.url}/admin/nodes/tree", headers=ADMIN).json()["last_seq"]
        wait_for(lambda: child.cursor() == last_seq, 10, "the child's cursor at the parent's last event")
        events = client.get(f"{child.url}/changes", params={"limit": 1000}).json()["events"]
    creates = Counter(e["item"] for e in events if e["kind"] == "item" and e["op"] == "create")
    assert set(creates) == set(want) | {"A-2", "A-3"} and max(creates.values()) == 1  # each product arrived once
    deleted = {e["item"] for e in events if e["op"] == "delete"}
    assert deleted == {"A-2", "A-3"}
    # (the parent keeps the deliveries of after their deletion: the list only grows)
    wait_for(
        lambda: set(want) <= {d["item"] for d in acknowledged(main, child.name) if d["asset"] == "data"},
        20,
        "every product acknowledged",
    )
    print(f"\ncaught up {caught_up:.1f} s after the parent came back (down {restarted - down_at:.1f} s)")


def item_assets(node: Node, item_id: str) -> dict[str, Any]:
    return dict(node.catalog.get_item("gf1-wfv", item_id).doc["assets"])


def acknowledged(parent: NodeRun, child_name: str) -> list[dict[str, Any]]:
    with http() as client:
        listed = client.get(f"{parent.url}/admin/nodes", headers=ADMIN).json()["nodes"]
        child_id = next(n["id"] for n in listed if n["name"] == child_name)
        return list(client.get(f"{parent.url}/admin/nodes/{child_id}/deliveries", headers=ADMIN).json()["deliveries"])


# -- (3) corrupt bytes at the source -------------------------------------------------------------------
def corrupt(path: Path) -> None:
    """Overwrite 4 KiB in the middle of a blob file with other bytes (the length stays)."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        old = handle.read(4096)
        handle.seek(size // 2)
        handle.write(bytes(b ^ 0xFF for b in old))


def test_corrupt_bytes_at_the_source_are_detected_and_never_served(main: NodeRun, child: NodeRun) -> None:
    good = blob_asset(main, os.urandom(3 * MiB))
    bad = blob_asset(main, os.urandom(3 * MiB + 1))
    with http() as client:
        assert post_item(main, product("GOOD", assets={"data": good}), client).status_code == 201
        assert post_item(main, product("BAD", lon=113, assets={"data": bad}), client).status_code == 201
    bad_sha = bad["file:checksum"][4:]
    corrupt(main.blobs.path(bad_sha))
    enroll(main, child, {"mode": "full"})
    child.start()
    started = time.monotonic()

    wait_for(lambda: availability(child).get("GOOD") == "online", 30, "the intact product online")
    errors = wait_for(
        lambda: [e for e in tree_report(main, child.name).get("errors", []) if "BAD" in e and "sha256" in e],
        30,
        "the mismatch reported up to the parent",
    )
    assert "sha256 mismatch" in errors[0]
    for _ in range(10):  # for a while, whatever the child retries, the asset never goes online
        held = item_at(child, "gf1-wfv", "BAD")
        assert held is not None and held["properties"]["eonode:availability"] == "remote"
        with http() as client:  # a user asking the child for it: fetched again, never served
            got = client.get(f"{child.url}/collections/gf1-wfv/items/BAD/assets/data")
        assert got.status_code == 503 and got.json()["code"] == "FetchingUpstream", got.text
        assert not part_files(child, bad_sha)[0].exists()  # never stored under its digest
        time.sleep(0.5)
    assert {d["item"] for d in acknowledged(main, child.name)} == {"GOOD"}
    attempts = [d for d in downloads(main, node_user_id(main, child.name)) if d["item"] == "BAD"]
    took = time.monotonic() - started
    print(f"\nthe corrupt asset was downloaded {len(attempts)} times in the {took:.0f} s the child ran")


def test_a_corrupt_source_is_tried_again_ever_less_often(main: NodeRun, child: NodeRun) -> None:
    """A copy that keeps failing verification is not fetched again in full every few seconds."""
    bad = blob_asset(main, os.urandom(2 * MiB))
    assert post_item(main, product("BAD", assets={"data": bad})).status_code == 201
    corrupt(main.blobs.path(bad["file:checksum"][4:]))
    enroll(main, child, {"mode": "full"})
    child.start()
    user = node_user_id(main, child.name)
    wait_for(lambda: downloads(main, user), 20, "a first attempt")
    time.sleep(30)
    attempts = [datetime.fromisoformat(d["started"]) for d in downloads(main, user) if d["item"] == "BAD"]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
    print(f"\n{len(attempts)} downloads of the corrupt asset in 30 s, gaps {[round(g, 1) for g in gaps]} s")
    assert len(attempts) <= 5, f"{len(attempts)} full downloads of a file known to be corrupt in 30 s"
    growing = len(gaps) >= 2 and all(b >= a - 0.5 for a, b in itertools.pairwise(gaps)) and gaps[-1] > 1.5 * gaps[0]
    assert growing, f"no backoff between attempts: {gaps}"


def test_users_asking_for_a_corrupt_product_do_not_make_the_child_download_it_each_time(
    main: NodeRun, child: NodeRun
) -> None:
    bad = blob_asset(main, os.urandom(2 * MiB))
    assert post_item(main, product("BAD", assets={"data": bad})).status_code == 201
    corrupt(main.blobs.path(bad["file:checksum"][4:]))
    enroll(main, child, {"mode": "on_demand"})  # bytes only on demand: nothing copies them by itself
    child.start()
    wait_for(lambda: item_at(child, "gf1-wfv", "BAD"), 20, "the product at the child")
    user = node_user_id(main, child.name)
    with http() as client:
        for _ in range(10):  # a user's download tool retrying every 2 s, for 20 s
            got = client.get(f"{child.url}/collections/gf1-wfv/items/BAD/assets/data")
            assert got.status_code == 503, got.text
            time.sleep(2)
    attempts = len([d for d in downloads(main, user) if d["item"] == "BAD"])
    print(f"\n{attempts} full downloads from the parent for 10 requests by a user")
    assert attempts <= 4, f"{attempts} full downloads from the parent for 10 requests by a user"


# -- (4) revocation ------------------------------------------------------------------------------------
def test_a_revoked_node_is_refused_when_it_reconnects(main: NodeRun, child: NodeRun) -> None:
    child_id = enroll(main, child, {"mode": "full"})
    assert post_item(main, product("BEFORE", assets={"data": blob_asset(main, b"x" * 5000)})).status_code == 201
    child.start()
    wait_for(lambda: availability(child).get("BEFORE") == "online", 20, "the first product")
    with http() as client:
        assert client.post(f"{main.url}/admin/nodes/{child_id}/revoke", json={"reason": "t"}, headers=ADMIN).is_success
    child.stop()
    child.start()
    wait_for(lambda: "the parent answered 403 to the feed" in child.log_text(), 20, "the refusal")
    assert post_item(main, product("AFTER", assets={"data": blob_asset(main, b"y" * 5000)})).status_code == 201
    time.sleep(3)
    assert item_at(child, "gf1-wfv", "AFTER") is None
    key = {"Authorization": f"Bearer {child.key()}"}
    with http() as client:
        asset_url = f"{main.url}/collections/gf1-wfv/items/AFTER/assets/data"
        assert client.get(asset_url, headers=key).status_code in (401, 403)  # its key no longer downloads
        assert client.post(f"{main.url}/federation/status", json={}, headers=key).status_code in (401, 403)


def test_revocation_stops_an_open_stream(main: NodeRun, child: NodeRun) -> None:
    child_id = enroll(main, child, {"mode": "metadata"})
    child.start()
    assert post_item(main, product("BEFORE")).status_code == 201
    wait_for(lambda: item_at(child, "gf1-wfv", "BEFORE"), 20, "the first product")
    with http() as client:
        assert client.post(f"{main.url}/admin/nodes/{child_id}/revoke", json={"reason": "t"}, headers=ADMIN).is_success
    time.sleep(1.5)  # the stream looks at the child's status every second
    assert post_item(main, product("AFTER")).status_code == 201
    time.sleep(3)
    assert item_at(child, "gf1-wfv", "AFTER") is None, "a revoked node received a new product"
    wait_for(lambda: "the parent answered 403 to the feed" in child.log_text(), 10, "the child refused")


# -- (5) writes at the parent racing a transfer --------------------------------------------------------
@pytest.mark.parametrize("change", ["delete", "update"])
def test_a_change_during_a_transfer_is_not_undone(main: NodeRun, child: NodeRun, change: str) -> None:
    asset = big_blob_asset(main, 48 * MiB, seed=3)
    dest, _part, sidecar = part_files(child, asset["file:checksum"][4:])
    with Proxy(main.url, rate=6_000_000) as proxy:  # about 8 s for the file
        enroll(main, child, {"mode": "full"}, via=proxy.url)
        assert post_item(main, product("SLOW", assets={"data": asset})).status_code == 201
        child.start()
        wait_for(lambda: sidecar.exists(), 20, "the transfer under way")
        url = f"{main.url}/collections/gf1-wfv/items/SLOW"
        with http() as client:
            if change == "delete":
                assert client.delete(url, headers=ADMIN).status_code == 204
                wait_for(lambda: item_at(child, "gf1-wfv", "SLOW") is None, 10, "the deletion at the child")
            else:
                newer = product("SLOW", cloud=77.0, rev=1, assets={"data": asset})
                assert client.put(url, json=newer, headers=ADMIN).status_code == 200
                wait_for(lambda: revs(child).get("SLOW") == 1, 10, "the update at the child")
        assert not dest.exists(), "the transfer should still be running"
        wait_for(dest.exists, 90, "the end of the transfer")  # 48 MiB at 6 MB/s, on a busy machine
    time.sleep(1.5)
    held = item_at(child, "gf1-wfv", "SLOW")
    if change == "delete":
        assert held is None, "the item deleted at the parent is back at the child"
    else:
        assert held is not None
        assert held["properties"]["eonode:rev"] == 1, "the child lost the parent's update"


# -- (6) an acknowledgement the parent did not get -----------------------------------------------------
def test_a_failed_acknowledgement_is_sent_again(main: NodeRun, child: NodeRun) -> None:
    """The parent's delivery list ends up right even when it missed an acknowledgement."""
    with Proxy(main.url) as proxy:
        enroll(main, child, {"mode": "full"}, via=proxy.url)
        proxy.refuse = lambda method, path: path == "/federation/ack"
        assert post_item(main, product("ACK", assets={"data": blob_asset(main, os.urandom(50_000))})).status_code == 201
        child.start()
        wait_for(lambda: proxy.refused, 20, "an acknowledgement refused")
        time.sleep(3)
        proxy.refuse = lambda method, path: False  # the parent answers again
        wait_for(lambda: "ACK" in {d["item"] for d in acknowledged(main, child.name)}, 30, "the acknowledgement")
        wait_for(lambda: availability(child).get("ACK") == "online", 10, "the copy online")
    print(f"\nacknowledgements refused: {len(proxy.refused)}")


# -- (7) items that cannot be copied hold up the others -------------------------------------------------
def post_blockers(main: NodeRun, count: int) -> None:
    """``count`` products whose bytes are corrupt at the source, acquired after every other one here
    (so first in a copy queue), then one intact product, GOOD."""
    with http() as client:
        for k in range(count):
            bad = blob_asset(main, os.urandom(100_000 + k))
            doc = product(f"BAD-{k}", lon=100 + k, when=f"2025-06-0{k + 1}T03:00:00Z", assets={"data": bad})
            assert post_item(main, doc, client).status_code == 201
            corrupt(main.blobs.path(bad["file:checksum"][4:]))
        good = product("GOOD", when="2025-01-01T03:00:00Z", assets={"data": blob_asset(main, os.urandom(80_000))})
        assert post_item(main, good, client).status_code == 201


def test_products_that_cannot_be_copied_do_not_starve_the_others(main: NodeRun, child: NodeRun) -> None:
    post_blockers(main, 5)
    enroll(main, child, {"mode": "full"})
    child.start()
    wait_for(lambda: len(availability(child)) == 6, 20, "the metadata at the child")
    wait_for(lambda: availability(child).get("GOOD") == "online", 20, "the intact product online")


def test_a_lower_node_is_not_held_up_by_an_asset_its_parent_cannot_deliver(main: NodeRun, tmp_path: Path) -> None:
    env = {"EONODE_STATUS_SECONDS": "1", "EONODE_LOG_LEVEL": "info"}
    sub, lower = NodeRun("sub", tmp_path / "sub", env=env), NodeRun("lower", tmp_path / "lower", env=env)
    try:
        post_blockers(main, 1)
        enroll(main, sub, {"mode": "full"})
        sub.start()
        wait_for(lambda: availability(sub).get("GOOD") == "online", 30, "the intact product at the sub node")
        enroll(sub, lower, {"mode": "full"})
        lower.start()
        began = time.monotonic()
        wait_for(lambda: availability(lower).get("GOOD") == "online", 40, "the intact product at the lower node")
        took = time.monotonic() - began
        print(f"\nthe lower node copied what its parent holds {took:.1f} s after it started")
        assert took < 8, f"the lower node took {took:.1f} s to copy a product its parent holds"
    finally:
        lower.stop()
        sub.stop()


# -- (8) stopping a child ------------------------------------------------------------------------------
def test_a_connected_child_stops_promptly(main: NodeRun, child: NodeRun) -> None:
    """SIGTERM ends the stream's read at once (its socket is shut down), not at the next keep-alive."""
    enroll(main, child, {"mode": "metadata"})
    child.start()
    wait_for(lambda: tree_report(main, child.name).get("connected"), 20, "the child connected")
    began = time.monotonic()
    child.stop()
    took = time.monotonic() - began
    print(f"\nSIGTERM to exit: {took:.1f} s")
    assert took < 3, f"the child took {took:.1f} s to stop"
    text = child.log_text()
    assert "Application shutdown complete" in text, "the child did not shut down cleanly"
    assert "feed connection lost" not in text and "failed" not in text, "a stop reported as a failure"
