"""The paging half of the search contract: order, tokens both ways, stability while items arrive,
concurrency, queryables. Uses the fixtures of ``testing_search``."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
import shapely

from eonode.catalog.store import CatalogStore
from eonode.catalog.testing import make_item
from eonode.catalog.testing_search import SearchFixtures, _ids, _span, oracle, walk
from eonode.errors import InvalidSortby, InvalidToken
from eonode.models import search as params
from eonode.models.geometry import Bbox
from eonode.models.search import SearchQuery, SortKey


class PagingContract(SearchFixtures):
    def test_default_order_is_newest_first(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        expected = sorted(oracle(items, SearchQuery(collections=("gf1-pms",))), key=_span, reverse=True)
        self.check(loaded, items, SearchQuery(collections=("gf1-pms",), limit=7), ordered=False)
        got = [i for p in walk(loaded, SearchQuery(collections=("gf1-pms",), limit=7)) for i in p]
        assert [_span(i) for i in got] == [_span(i) for i in expected]

    def test_sort_by_cloud_then_id_with_unknown_last(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        for desc in (False, True):
            q = params.from_post(
                {
                    "collections": ["gf6-wfv"],
                    "limit": 9,
                    "sortby": [
                        {"field": "properties.eo:cloud_cover", "direction": "desc" if desc else "asc"},
                        {"field": "id", "direction": "asc"},
                    ],
                },
                10,
                100,
            )
            got = [i for p in walk(loaded, q) for i in p]
            pool = oracle(items, SearchQuery(collections=("gf6-wfv",)))
            known = sorted(
                (i for i in pool if i["properties"].get("eo:cloud_cover") is not None),
                key=lambda i: (
                    -i["properties"]["eo:cloud_cover"] if desc else i["properties"]["eo:cloud_cover"],
                    i["id"],
                ),
            )
            unknown = sorted((i for i in pool if i["properties"].get("eo:cloud_cover") is None), key=lambda i: i["id"])
            assert _ids(got) == _ids(known) + _ids(unknown)

    @pytest.mark.parametrize("desc", [False, True])
    @pytest.mark.parametrize(
        "extra",
        [{}, {"datetime": "2018-01-01T00:00:00Z/2024-12-31T00:00:00Z", "filter": "eo:cloud_cover BETWEEN 10 AND 60"}],
    )
    def test_area_sorted_by_cloud_first_pages_and_offsets(
        self, loaded: CatalogStore, items: list[dict[str, Any]], desc: bool, extra: dict[str, str]
    ) -> None:
        """An area search ordered by cloud cover: the first page (and every offset page, which is
        a longer first page) agrees with the full order, unknown cover last."""
        sort = f"{'-' if desc else ''}eo:cloud_cover,-datetime"
        q = params.from_get({"bbox": "70,15,135,55", "sortby": sort, "limit": "4", **extra}, 10, 100)
        pool = oracle(items, q)
        known = sorted(
            (i for i in pool if i["properties"].get("eo:cloud_cover") is not None),
            key=lambda i: -i["properties"]["eo:cloud_cover"] if desc else i["properties"]["eo:cloud_cover"],
        )
        unknown = [i for i in pool if i["properties"].get("eo:cloud_cover") is None]
        walked = [i for p in walk(loaded, q) for i in p]
        assert len(walked) == len(pool) and len({i["id"] for i in walked}) == len(pool)
        covers = [i["properties"].get("eo:cloud_cover") for i in walked]
        assert covers == [i["properties"]["eo:cloud_cover"] for i in known] + [None] * len(unknown)
        for offset in (0, 3, 4, 11, len(walked) - len(unknown) - 1, len(walked) - 2):
            if offset < 0:
                continue
            page = loaded.search(replace(q, offset=offset))
            assert _ids(page.items) == _ids(walked[offset : offset + 4]), offset

    def test_prev_links_walk_back_to_the_first_page(self, loaded: CatalogStore) -> None:
        q = SearchQuery(collections=("gf1-wfv",), limit=5, sortby=(SortKey("eo:cloud_cover"), SortKey("id", True)))
        pages = []
        page = loaded.search(q)
        pages.append(_ids(page.items))
        for _ in range(3):
            assert page.next_token
            page = loaded.search(q.with_token(page.next_token))
            pages.append(_ids(page.items))
        for expected in reversed(pages[:-1]):
            assert page.prev_token
            page = loaded.search(q.with_token(page.prev_token))
            assert _ids(page.items) == expected
        assert page.prev_token is None

    def test_pages_are_stable_under_concurrent_inserts(self, loaded: CatalogStore) -> None:
        q = SearchQuery(collections=("gf2-pms",), limit=6)
        before = [i["id"] for p in walk(loaded, q) for i in p]
        first = loaded.search(q)
        # new items land everywhere in the order while the client pages
        loaded.upsert_items(
            [make_item(f"late-{k}", "gf2-pms", datetime=f"20{14 + k}-06-01T00:00:00Z") for k in range(12)]
        )
        try:
            rest = [i["id"] for p in walk(loaded, q.with_token(first.next_token)) for i in p]
            seen = _ids(first.items) + rest
            assert len(seen) == len(set(seen))
            assert set(before) <= set(seen)
        finally:
            for k in range(12):
                loaded.delete_item("gf2-pms", f"late-{k}")

    def test_offset_pages_are_slices_of_the_walk(self, loaded: CatalogStore) -> None:
        query = SearchQuery(collections=("gf1-pms", "gf2-pms"), limit=6)
        walked = [i["id"] for p in walk(loaded, query) for i in p]
        assert len(walked) > 20
        for offset in (0, 5, 6, 13, len(walked) - 2, len(walked), len(walked) + 7):
            page = loaded.search(SearchQuery(collections=("gf1-pms", "gf2-pms"), limit=6, offset=offset))
            assert [i["id"] for i in page.items] == walked[offset : offset + 6]
            assert page.number_matched == len(walked)
            assert (page.next_token is not None) == (offset + 6 < len(walked))
            if page.items and offset:  # going back from an offset page continues the same order
                assert page.prev_token is not None
                back = loaded.search(SearchQuery(collections=("gf1-pms", "gf2-pms"), limit=6, token=page.prev_token))
                assert [i["id"] for i in back.items] == walked[max(0, offset - 6) : offset]
            if page.next_token is not None:
                on = loaded.search(SearchQuery(collections=("gf1-pms", "gf2-pms"), limit=6, token=page.next_token))
                assert [i["id"] for i in on.items] == walked[offset + 6 : offset + 12]
        spatial = SearchQuery(bbox=Bbox(70, 15, 135, 55), limit=5)
        walked = [i["id"] for p in walk(loaded, spatial) for i in p]
        page = loaded.search(SearchQuery(bbox=Bbox(70, 15, 135, 55), limit=5, offset=7))
        assert [i["id"] for i in page.items] == walked[7:12]

    def test_bad_tokens_and_sorts_are_400(self, loaded: CatalogStore) -> None:
        with pytest.raises(InvalidToken):
            loaded.search(SearchQuery(token="not-a-token"))
        page = loaded.search(SearchQuery(limit=2))
        assert page.next_token
        other_sort = SearchQuery(limit=2, sortby=(SortKey("datetime"), SortKey("id")))
        with pytest.raises(InvalidToken):
            loaded.search(other_sort.with_token(page.next_token))
        with pytest.raises(InvalidSortby):
            params.from_post({"sortby": [{"field": "x", "direction": "sideways"}]}, 10, 100)

    def test_queryables_come_from_summaries(self, loaded: CatalogStore) -> None:
        extra = loaded.queryable_summaries("gf2-pms")
        assert extra["platform"]["enum"] == ["gf-2"]
        assert set(loaded.queryable_summaries()["platform"]["enum"]) >= {"gf-1", "gf-2", "gf-6"}

    def test_concurrent_searches_agree(self, loaded: CatalogStore) -> None:
        """Many threads searching at once (spatial tests run on worker threads too) get exactly
        what one thread gets."""
        queries = [
            SearchQuery(intersects=shapely.Polygon([(100, 20), (125, 22), (118, 45), (98, 40)]), limit=5),
            SearchQuery(bbox=Bbox(60, 0, 140, 55), limit=5),
            params.from_get({"filter": "S_INTERSECTS(geometry, BBOX(0, 0, 9, 9)) OR eo:cloud_cover = 0"}, 10, 100),
            params.from_get(
                {
                    "filter": "S_INTERSECTS(geometry, POLYGON((100 20, 125 20, 125 45, 100 20)))",
                    "collections": "gf6-wfv,gf1-wfv",
                },
                10,
                100,
            ),
        ]
        expected = [(p.number_matched, _ids(p.items)) for p in map(loaded.search, queries)]
        failures: list[str] = []

        def worker(k: int) -> None:
            for n in range(12):
                q = queries[(k + n) % len(queries)]
                page = loaded.search(q)
                if (page.number_matched, _ids(page.items)) != expected[(k + n) % len(queries)]:
                    failures.append(f"thread {k}, query {(k + n) % len(queries)}")

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures
