"""A parent asks a child to read its feed again from a sequence number (real node processes)."""

from __future__ import annotations

from pathlib import Path

from tests.federation.netkit import ADMIN, NodeRun, enroll, http, post_item, product, wait_for


def present(node: NodeRun, item_id: str) -> bool:
    with http() as client:
        return client.get(f"{node.url}/collections/gf1-wfv/items/{item_id}").status_code == 200


def test_a_resync_brings_back_what_the_child_lost(main: NodeRun, tmp_path: Path) -> None:
    # Reconciliation would repair the loss as well, but not before an hour: only the resync can.
    env = {"EONODE_STATUS_SECONDS": "1", "EONODE_RECONCILE_SECONDS": "3600"}
    child = NodeRun("child", tmp_path / "child", env=env)
    child_id = enroll(main, child, {"mode": "metadata"})
    for k in range(3):
        assert post_item(main, product(f"P{k}")).status_code == 201
    child.start()
    try:
        wait_for(lambda: all(present(child, f"P{k}") for k in range(3)), 20, "the products at the child")
        with http() as client:
            assert client.delete(f"{child.url}/collections/gf1-wfv/items/P1", headers=ADMIN).status_code == 204
            assert not present(child, "P1")
            asked = client.post(f"{main.url}/admin/nodes/{child_id}/resync", json={"since": 0}, headers=ADMIN)
            assert asked.is_success, asked.text
        wait_for(lambda: present(child, "P1"), 15, "the lost product back after the resync")
        assert post_item(main, product("AFTER")).status_code == 201  # and it follows on from there
        wait_for(lambda: present(child, "AFTER"), 15, "a product after the resync")
    finally:
        child.stop()
