"""The demo node's access policies, modelled on a national centre's: every scene's metadata is
public; 16 m wide-field (WFV), ocean-satellite and thematic data are free to download; sub-metre
GF-2 and GF-7 data need an administrator's approval; the rest needs a registered account."""

from __future__ import annotations

from eonode.node import Node


def demo_data_access(collection: dict[str, object]) -> str:
    cid = str(collection.get("id", ""))
    if "-wfv-" in cid or cid.startswith("hy1") or "eonode:theme" in collection:
        return "open"
    if cid.startswith(("gf2-", "gf7-")):
        return "approval"
    return "registered"


def apply_demo_policies(node: Node) -> int:
    """Set the policy of every collection that has none yet; returns how many were set."""
    access = node.accounts.access
    stored = node.accounts.store.policies()
    count = 0
    for doc in node.catalog.list_collections():
        if doc["id"] in stored:
            continue
        access.set_policy(doc["id"], visibility="public", data_access=demo_data_access(doc), actor="demo")
        count += 1
    return count
