"""The catalogue contract suite: every CatalogStore backend must pass it unchanged.

Use it by subclassing in a test module and providing an empty ``store`` fixture::

    class TestSqlite(CatalogStoreContract):
        @pytest.fixture
        def store(self, tmp_path): ...

The search half of the contract lives in ``testing_search.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from eonode.catalog.store import CatalogStore
from eonode.errors import AlreadyExists, CollectionNotFound, InvalidStac, ItemNotFound, PreconditionFailed


def make_collection(cid: str = "gf1-wfv", **extra: Any) -> dict[str, Any]:
    doc = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": cid,
        "description": f"test collection {cid}",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2013-04-26T00:00:00Z", None]]},
        },
        "links": [{"rel": "self", "href": "http://elsewhere/ignored"}],
    }
    doc.update(extra)
    return doc


def make_item(
    iid: str,
    cid: str = "gf1-wfv",
    *,
    bbox: tuple[float, float, float, float] = (100.0, 30.0, 101.0, 31.0),
    datetime: str | None = "2024-05-01T03:00:00Z",
    props: dict[str, Any] | None = None,
    **simple: Any,
) -> dict[str, Any]:
    """An item with a box footprint; ``props`` (and plain keyword arguments) become properties."""
    x1, y1, x2, y2 = bbox
    properties: dict[str, Any] = {"datetime": datetime, **(props or {}), **simple}
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": iid,
        "collection": cid,
        "geometry": {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]},
        "properties": properties,
        "assets": {"data": {"href": f"https://archive.example/{iid}.tar.gz", "roles": ["data"]}},
        "links": [],
    }


class CatalogStoreContract:
    """CRUD, versions (ETags), the change feed and its guarantees."""

    @pytest.fixture
    def store_factory(self) -> Callable[[], CatalogStore]:
        raise NotImplementedError("a backend test module provides store_factory")

    @pytest.fixture
    def store(self, store_factory: Callable[[], CatalogStore]) -> CatalogStore:
        return store_factory()

    # -- collections ----------------------------------------------------------------------------
    def test_collection_roundtrip_is_normalised(self, store: CatalogStore) -> None:
        result = store.create_collection(make_collection())
        assert result.op == "create" and result.seq == 1
        doc = store.get_collection("gf1-wfv")
        assert doc["stac_version"] == "1.1.0"
        assert "links" not in doc
        assert [c["id"] for c in store.list_collections()] == ["gf1-wfv"]

    def test_collection_create_twice_conflicts(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        with pytest.raises(AlreadyExists):
            store.create_collection(make_collection())

    def test_collection_put_identical_is_a_noop(self, store: CatalogStore) -> None:
        first = store.put_collection(make_collection())
        again = store.put_collection(make_collection())
        assert again.op is None and again.etag == first.etag
        assert store.last_seq() == 1

    def test_collection_update_requires_matching_etag(self, store: CatalogStore) -> None:
        first = store.put_collection(make_collection())
        with pytest.raises(PreconditionFailed):
            store.put_collection(make_collection(title="x"), if_match="not-the-etag")
        updated = store.put_collection(make_collection(title="x"), if_match=first.etag)
        assert updated.op == "update"
        with pytest.raises(CollectionNotFound):
            store.put_collection(make_collection("nope"), must_exist=True)

    def test_invalid_collection_is_refused(self, store: CatalogStore) -> None:
        with pytest.raises(InvalidStac):
            store.create_collection({"type": "Collection", "id": "bad id with spaces"})
        with pytest.raises(InvalidStac):
            store.create_collection({**make_collection(), "extent": {}})

    def test_delete_collection_leaves_tombstones_for_its_items(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        store.upsert_items([make_item("a"), make_item("b")])
        last = store.delete_collection("gf1-wfv")
        events = store.changes_since(3)
        assert [(e.kind, e.op, e.item_id) for e in events] == [
            ("item", "delete", "a"),
            ("item", "delete", "b"),
            ("collection", "delete", None),
        ]
        assert events[-1].seq == last == 6
        with pytest.raises(CollectionNotFound):
            store.get_collection("gf1-wfv")
        with pytest.raises(CollectionNotFound):
            store.get_item("gf1-wfv", "a")
        assert store.item_count() == 0

    # -- items ----------------------------------------------------------------------------------
    def test_item_roundtrip(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        result = store.create_item(make_item("GF1_WFV1_E100.5_N30.5_20240501_L1A0001", props={"eo:cloud_cover": 12}))
        assert result.op == "create"
        stored = store.get_item("gf1-wfv", "GF1_WFV1_E100.5_N30.5_20240501_L1A0001")
        assert stored.etag == result.etag
        assert stored.doc["bbox"] == [100.0, 30.0, 101.0, 31.0]
        assert stored.doc["properties"]["eo:cloud_cover"] == 12
        assert stored.doc["stac_version"] == "1.1.0"

    def test_item_timestamps_are_normalised_to_utc(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        store.create_item(make_item("a", datetime="2024-05-01T11:00:00+08:00"))
        assert store.get_item("gf1-wfv", "a").doc["properties"]["datetime"] == "2024-05-01T03:00:00Z"

    def test_item_errors(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        with pytest.raises(CollectionNotFound):
            store.create_item(make_item("a", cid="missing"))
        store.create_item(make_item("a"))
        with pytest.raises(AlreadyExists):
            store.create_item(make_item("a"))
        with pytest.raises(ItemNotFound):
            store.get_item("gf1-wfv", "b")
        with pytest.raises(ItemNotFound):
            store.put_item(make_item("b"), must_exist=True)
        with pytest.raises(ItemNotFound):
            store.delete_item("gf1-wfv", "b")
        with pytest.raises(InvalidStac):
            store.create_item(make_item("c", props={"eo:cloud_cover": 101}))
        with pytest.raises(InvalidStac):
            store.create_item(make_item("c", datetime=None))
        with pytest.raises(InvalidStac):
            store.create_item({**make_item("c"), "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}})

    def test_put_identical_item_is_a_noop_and_update_bumps_version(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        first = store.put_item(make_item("a"))
        same = store.put_item(make_item("a"))
        assert same.op is None and same.seq is None
        changed = store.put_item(make_item("a", props={"eo:cloud_cover": 3}), if_match=first.etag)
        assert changed.op == "update" and changed.etag != first.etag
        with pytest.raises(PreconditionFailed):
            store.put_item(make_item("a", props={"eo:cloud_cover": 4}), if_match=first.etag)
        with pytest.raises(PreconditionFailed):
            store.delete_item("gf1-wfv", "a", if_match=first.etag)
        assert [e.op for e in store.changes_since(1)] == ["create", "update"]

    def test_moving_an_item_updates_its_footprint(self, store: CatalogStore) -> None:
        from eonode.models.search import SearchQuery

        store.create_collection(make_collection())
        store.put_item(make_item("a", bbox=(10, 10, 11, 11)))
        store.put_item(make_item("a", bbox=(50, 50, 51, 51)))
        from eonode.models.geometry import Bbox

        assert store.search(SearchQuery(bbox=Bbox(10, 10, 11, 11))).number_matched == 0
        assert store.search(SearchQuery(bbox=Bbox(50, 50, 51, 51))).number_matched == 1

    # -- bulk -----------------------------------------------------------------------------------
    def test_bulk_upsert_reports_and_never_half_writes(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        docs = [make_item(f"i{n}") for n in range(25)]
        bad = make_item("bad", props={"eo:cloud_cover": -1})
        orphan = make_item("orphan", cid="missing")
        report = store.upsert_items([*docs, bad, orphan, make_item("i3", props={"gsd": 16})], batch_size=10)
        assert (report.created, report.updated, report.unchanged) == (25, 1, 0)  # the later i3 updates
        assert {w for w, _ in report.rejected} == {"bad", "orphan"}
        assert store.get_item("gf1-wfv", "i3").doc["properties"]["gsd"] == 16  # last copy wins
        again = store.upsert_items([*docs[5:10], make_item("i7", props={"gsd": 2})])  # i7 twice: last wins
        assert (again.created, again.updated, again.unchanged) == (0, 1, 4)
        assert store.item_count("gf1-wfv") == 25

    # -- change feed ----------------------------------------------------------------------------
    def test_feed_is_ordered_gap_free_and_resumable(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        store.upsert_items([make_item(f"i{n}") for n in range(30)], batch_size=7)
        store.put_item(make_item("i5", props={"gsd": 2}))
        store.delete_item("gf1-wfv", "i6")
        assert store.last_seq() == 33
        seen: list[int] = []
        cursor = 0
        while batch := store.changes_since(cursor, limit=4):
            seen += [e.seq for e in batch]
            cursor = batch[-1].seq
        assert seen == list(range(1, 34))

    def test_feed_bodies_tombstones_and_supersession(self, store: CatalogStore) -> None:
        store.create_collection(make_collection())
        store.put_item(make_item("a"))  # 2
        store.put_item(make_item("b"))  # 3
        store.put_item(make_item("a", props={"gsd": 8}))  # 4
        store.delete_item("gf1-wfv", "b")  # 5
        events = {e.seq: e for e in store.changes_since(0)}
        assert events[1].kind == "collection" and events[1].body is not None
        assert events[2].superseded and events[2].body is None
        assert events[3].superseded  # b was deleted later
        assert events[4].op == "update" and events[4].body is not None
        assert events[4].body["properties"]["gsd"] == 8
        assert events[5].op == "delete" and events[5].body is None and not events[5].superseded
        assert events[5].item_id == "b" and events[5].collection == "gf1-wfv"

    def test_commit_listeners_hear_only_committed_writes(self, store: CatalogStore) -> None:
        heard: list[int] = []
        store.add_commit_listener(heard.append)
        store.create_collection(make_collection())
        with pytest.raises(AlreadyExists):
            store.create_collection(make_collection())
        store.put_item(make_item("a"))
        store.put_item(make_item("a"))  # unchanged: nothing committed
        assert heard == [1, 2]

    def test_concurrent_writers_keep_the_feed_gap_free(
        self, store: CatalogStore, store_factory: Callable[[], CatalogStore]
    ) -> None:
        """Six writers, each with its own store (own connections, as separate processes would
        have), race; the feed must still be numbered 1..n with every write in it once."""
        store.create_collection(make_collection())
        writers = [store_factory() for _ in range(6)]
        errors: list[BaseException] = []

        def writer(k: int) -> None:
            mine = writers[k]
            try:
                for n in range(15):
                    mine.put_item(make_item(f"w{k}-{n}", props={"gsd": float(n + 1)}))
                    if n % 5 == 4:
                        mine.upsert_items([make_item(f"w{k}-bulk{n}-{m}") for m in range(3)])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        events = store.changes_since(0, limit=10_000)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert len(events) == 1 + 6 * (15 + 3 * 3)
        assert store.item_count() == 6 * (15 + 3 * 3)
        assert {e.item_id for e in events[1:]} == {
            *(f"w{k}-{n}" for k in range(6) for n in range(15)),
            *(f"w{k}-bulk{n}-{m}" for k in range(6) for n in (4, 9, 14) for m in range(3)),
        }
