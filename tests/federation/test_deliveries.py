"""A parent's list of what each child confirmed it holds shows only items that still exist and that
the child's agreement still covers: records of deleted items, of items changed out of scope and of
items an agreement change left out are dropped (read from the change feed from a stored cursor)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from eonode.accounts.tokens import new_api_key
from eonode.db.federation_tables import fed_deliveries
from eonode.federation.agreement import Agreement
from eonode.federation.children import Child
from eonode.node import Node
from eonode.settings import load_settings
from tests.federation.netkit import product

SHA = "ab" * 32


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def parent(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    """A parent on SQLite, then on PostgreSQL+PostGIS (the pruning reads the catalogue's tables)."""
    url = None
    if request.param == "postgis":
        factory: Callable[[], str] = request.getfixturevalue("pg_database_factory")
        url = factory()
    node = Node.open(load_settings(data_dir=tmp_path / "parent", database_url=url))
    node.catalog.put_collection(
        {
            "type": "Collection",
            "stac_version": "1.1.0",
            "id": "gf1-wfv",
            "description": "GF-1 WFV",
            "license": "proprietary",
            "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[None, None]]}},
            "links": [],
        }
    )
    yield node
    node.close()


def approved(node: Node, name: str, agreement: dict[str, Any]) -> Child:
    asked = node.children.request(name=name, contact=f"ops@{name}.example.org", key=new_api_key().secret)
    return node.children.approve(asked.id, Agreement.parse(agreement), actor="test")


def ack(node: Node, child: Child, *item_ids: str) -> int:
    return node.children.acknowledge(
        child, [{"collection": "gf1-wfv", "item": i, "asset": "data", "sha256": SHA} for i in item_ids]
    )


def listed(node: Node, child: Child) -> set[str]:
    return {d["item"] for d in node.children.deliveries(child.id)}


def stored_rows(node: Node) -> int:
    with node.children.read() as conn:
        return int(conn.execute(select(func.count()).select_from(fed_deliveries)).scalar_one())


def test_deleted_items_leave_every_childs_list(parent: Node) -> None:
    for item_id in ("A", "B", "C"):
        parent.catalog.put_item(product(item_id))
    china, world = approved(parent, "china", {"territory": ["CN"]}), approved(parent, "world", {})
    assert ack(parent, china, "A", "B", "C") == 3 and ack(parent, world, "A", "C") == 2
    assert listed(parent, china) == {"A", "B", "C"} and stored_rows(parent) == 5
    parent.catalog.delete_item("gf1-wfv", "A")
    parent.children.report(china, {"cursor": 1})  # a status report runs the pruning
    assert stored_rows(parent) == 3, "the records of the deleted item are gone from the table"
    assert listed(parent, china) == {"B", "C"} and listed(parent, world) == {"C"}
    parent.catalog.delete_item("gf1-wfv", "C")
    assert listed(parent, world) == set(), "a listing prunes too, without waiting for a report"


def test_items_changed_out_of_scope_leave_the_list(parent: Node) -> None:
    parent.catalog.put_item(product("CLOUDY", cloud=10.0))
    parent.catalog.put_item(product("CLEAR", cloud=5.0))
    child = approved(parent, "clear-sky", {"max_cloud_cover": 20})
    ack(parent, child, "CLOUDY", "CLEAR")
    parent.catalog.put_item(product("CLOUDY", cloud=90.0, rev=1))
    assert listed(parent, child) == {"CLEAR"}


def test_an_agreement_change_drops_what_it_no_longer_covers(parent: Node) -> None:
    parent.catalog.put_item(product("WUHAN", lon=114.3, lat=30.6))
    parent.catalog.put_item(product("LIMA", lon=-77.0, lat=-12.0))
    child = approved(parent, "partner", {})
    ack(parent, child, "WUHAN", "LIMA")
    parent.children.report(child, {"cursor": 7})
    changed = parent.children.set_agreement(child.id, Agreement.parse({"territory": ["PE"]}), actor="test")
    assert listed(parent, child) == {"LIMA"}
    assert changed.resync_from == 7, "the child is asked to reconnect where it was, to read its new terms"


def test_an_acknowledgement_of_an_item_deleted_meanwhile_is_not_recorded(parent: Node) -> None:
    parent.catalog.put_item(product("GONE"))
    parent.catalog.put_item(product("HERE"))
    child = approved(parent, "late", {})
    parent.children.deliveries(child.id)  # the pruning cursor is past the next deletion's event…
    parent.catalog.delete_item("gf1-wfv", "GONE")
    parent.children.deliveries(child.id)
    assert ack(parent, child, "GONE", "HERE") == 1  # … so the acknowledgement itself must check
    assert listed(parent, child) == {"HERE"} and stored_rows(parent) == 1


def test_a_store_with_old_records_is_checked_in_full_once(parent: Node) -> None:
    parent.catalog.put_item(product("KEPT"))
    child = approved(parent, "upgraded", {})
    with parent.children.write() as conn:  # records from before the pruning existed
        for item_id in ("KEPT", "LONG-GONE"):
            conn.execute(
                fed_deliveries.insert().values(
                    child_id=child.id,
                    collection="gf1-wfv",
                    item_id=item_id,
                    asset="data",
                    sha256=SHA,
                    at=parent.accounts.users.clock(),
                )
            )
    assert parent.children.prune_deliveries() == 1
    assert listed(parent, child) == {"KEPT"}
    assert parent.children.prune_deliveries() == 0
