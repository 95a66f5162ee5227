"""The search contract: every backend returns exactly what a brute-force oracle says.

The oracle evaluates each query item by item in Python (shapely for geometry, the cql2 library's
own evaluator for filters), so counts, results and order are checked against an implementation
that shares no code with the stores. Subclass with a class-scoped ``loaded`` fixture that
returns a store holding ``dataset()``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import cql2
import orjson
import pytest
import shapely

from eonode.catalog.store import CatalogStore
from eonode.catalog.testing import make_collection, make_item
from eonode.demo.synthetic import collections as demo_collections
from eonode.demo.synthetic import scenes
from eonode.errors import InvalidFilter
from eonode.models import search as params
from eonode.models.geometry import Bbox
from eonode.models.search import SearchQuery
from eonode.models.temporal import parse_instant


def special_items() -> list[dict[str, Any]]:
    """Edge cases the synthetic scenes do not cover."""
    crossing = make_item("am-cross", "gf6-wfv", datetime="2021-03-01T02:00:00Z", props={"eo:cloud_cover": 5.0})
    crossing["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, -10], [180, -10], [180, 0], [170, 0], [170, -10]]],
            [[[-180, -10], [-170, -10], [-170, 0], [-180, 0], [-180, -10]]],
        ],
    }
    crossing["bbox"] = [170, -10, -170, 0]
    ring = make_item("ring", "gf6-wfv", datetime="2021-03-02T02:00:00Z", props={"eo:cloud_cover": 0.0})
    ring["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[2, 2], [8, 2], [8, 8], [2, 8], [2, 2]],
        ],
    }
    diagonal = make_item("diagonal", "gf6-wfv", datetime="2021-03-03T02:00:00Z", props={"eo:cloud_cover": 100.0})
    diagonal["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[20, 20], [20.2, 20], [30, 29.8], [30, 30], [29.8, 30], [20, 20.2], [20, 20]],
        ],
    }
    interval = make_item(
        "interval",
        "gf6-wfv",
        datetime=None,
        start_datetime="2020-01-01T00:00:00Z",
        end_datetime="2020-12-31T23:59:59Z",
        props={"eo:cloud_cover": None},
    )
    interval["geometry"] = {"type": "Polygon", "coordinates": [[[60, 40], [61, 40], [61, 41], [60, 41], [60, 40]]]}
    custom = make_item(
        "custom",
        "gf6-wfv",
        bbox=(60, 45, 61, 46),
        datetime="2021-03-04T02:00:00Z",
        props={"eo:cloud_cover": 50.0, "eonode:station": "MYC", "count": 7, "flag": True},
    )
    return [crossing, ring, diagonal, interval, custom]


def dataset() -> list[dict[str, Any]]:
    return [*scenes(400, seed=7), *special_items()]


def load_dataset(store: CatalogStore) -> None:
    for doc in demo_collections():
        store.put_collection(doc)
    store.put_collection(make_collection("empty"))
    report = store.upsert_items(dataset(), batch_size=150)
    assert not report.rejected, report.rejected


# -- the oracle -----------------------------------------------------------------------------------
def _span(item: dict[str, Any]) -> tuple[datetime, datetime]:
    p = item["properties"]
    start = p.get("start_datetime") or p["datetime"]
    end = p.get("end_datetime") or p["datetime"]
    return parse_instant(start), parse_instant(end)


def _matches_filter(item: dict[str, Any], flt: dict[str, Any]) -> bool:
    try:
        return bool(cql2.Expr(flt).matches(item))
    except Exception:
        return False


def oracle(items: list[dict[str, Any]], q: SearchQuery) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if q.collections and item["collection"] not in q.collections:
            continue
        if q.ids and item["id"] not in q.ids:
            continue
        geom = shapely.from_geojson(orjson.dumps(item["geometry"]))
        if q.bbox is not None and not shapely.intersects(geom, q.bbox.to_geometry()):
            continue
        if q.intersects is not None and not shapely.intersects(geom, q.intersects):
            continue
        if q.datetime is not None:
            start, end = _span(item)
            if (q.datetime.start and end < q.datetime.start) or (q.datetime.end and start > q.datetime.end):
                continue
        if q.filter is not None and not _matches_filter(item, q.filter):
            continue
        out.append(item)
    return out


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


def walk(store: CatalogStore, q: SearchQuery) -> Iterator[list[dict[str, Any]]]:
    """Every page of a search, following next tokens."""
    while True:
        page = store.search(q)
        yield page.items
        if not page.next_token:
            return
        q = q.with_token(page.next_token)


class SearchFixtures:
    """The loaded store, the dataset and an exact check, for the search contracts."""

    @pytest.fixture(scope="class")
    @classmethod
    def loaded(cls) -> CatalogStore:
        raise NotImplementedError("a backend test module provides the loaded fixture")

    @pytest.fixture(scope="class")
    @classmethod
    def items(cls) -> list[dict[str, Any]]:
        return dataset()

    def check(self, store: CatalogStore, items: list[dict[str, Any]], q: SearchQuery, ordered: bool = False) -> int:
        expected = oracle(items, q)
        page = store.search(q)
        assert page.number_matched == len(expected), f"count for {q}"
        got = [i for p in walk(store, q.with_token(None)) for i in p]
        if ordered:
            assert _ids(got) == _ids(expected)
        else:
            assert sorted(_ids(got)) == sorted(_ids(expected))
        assert len(set(_ids(got))) == len(got), "a page repeated an item"
        return len(expected)


class SearchContract(SearchFixtures):
    """Every search parameter and filter, checked against the oracle."""

    # -- spatial --------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        "box",
        [
            (100, 20, 125, 45),
            (-20, -40, 60, 40),
            (0, 0, 180, 90),
            (-180, -90, 180, 90),
            (3, 3, 7, 7),
            (24, 26, 26, 28),
            (9, 9, 11, 11),
            (60.2, 40.2, 60.4, 40.4),
        ],
    )
    def test_bbox_is_exact(self, loaded: CatalogStore, items: list[dict[str, Any]], box: tuple[float, ...]) -> None:
        self.check(loaded, items, SearchQuery(bbox=Bbox(*box), limit=50))

    def test_bbox_inside_a_hole_or_beside_a_diagonal_finds_nothing(self, loaded: CatalogStore) -> None:
        for box in ((3, 3, 7, 7), (27, 21, 29, 23)):
            assert loaded.search(SearchQuery(bbox=Bbox(*box), ids=("ring", "diagonal"))).number_matched == 0

    @pytest.mark.parametrize("box", [(175, -5, -175, 5), (179, -20, -179, 20), (160, -90, -100, 90)])
    def test_bbox_across_the_antimeridian(
        self, loaded: CatalogStore, items: list[dict[str, Any]], box: tuple[float, ...]
    ) -> None:
        assert self.check(loaded, items, SearchQuery(bbox=Bbox(*box), limit=20)) >= 1

    def test_intersects_polygons(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        rng = random.Random(3)
        for _ in range(12):
            cx, cy, r = rng.uniform(-20, 130), rng.uniform(-30, 60), rng.uniform(1, 15)
            ring = [
                (cx + r * math.cos(a) * rng.uniform(0.5, 1), cy + r * math.sin(a) * rng.uniform(0.5, 1))
                for a in [k * 2 * math.pi / 7 for k in range(7)]
            ]
            poly = shapely.Polygon(ring)
            self.check(loaded, items, SearchQuery(intersects=poly, limit=30))
        self.check(loaded, items, SearchQuery(intersects=shapely.Point(5, 5)))
        self.check(loaded, items, SearchQuery(intersects=shapely.LineString([(1, 1), (9, 9)])))

    @pytest.mark.parametrize("code", ["CN", "RU", "FJ", "ID", "BR", "US"])
    def test_country_territories(self, loaded: CatalogStore, items: list[dict[str, Any]], code: str) -> None:
        """Country outlines (large, detailed, split at ±180°) alone and with a window and cloud."""
        from eonode.geo.countries import country

        geom = country(code).geometry
        self.check(loaded, items, SearchQuery(intersects=geom, limit=25))
        q = params.from_get(
            {"datetime": "2016-01-01T00:00:00Z/..", "filter": "eo:cloud_cover <= 40", "limit": "7"}, 10, 99
        )
        self.check(loaded, items, replace(q, intersects=geom))

    @pytest.mark.parametrize(
        ("box", "interval", "cloud"),
        [
            ((60, 0, 140, 55), "2018-01-01T00:00:00Z/2022-12-31T23:59:59Z", "eo:cloud_cover <= 20"),
            ((-180, -90, 180, 90), "2021-03-01T02:00:00Z/2021-03-03T02:00:00Z", "eo:cloud_cover BETWEEN 0 AND 100"),
            ((100, 20, 125, 45), "../2019-06-30T00:00:00Z", "eo:cloud_cover < 30 AND eo:cloud_cover > 5"),
            ((-20, -40, 60, 40), "2015-01-01T00:00:00Z/..", "eo:cloud_cover >= 50"),
            ((0, 0, 180, 90), "2020-01-01T00:00:00Z/2026-12-31T00:00:00Z", "eo:cloud_cover = 0"),
        ],
    )
    def test_area_time_and_cloud(
        self, loaded: CatalogStore, items: list[dict[str, Any]], box: tuple[float, ...], interval: str, cloud: str
    ) -> None:
        """The portal's usual search (area + dates + cloud), paged both ways, newest first."""
        q = params.from_get(
            {"bbox": ",".join(map(str, box)), "datetime": interval, "filter": cloud, "limit": "6"}, 10, 99
        )
        n = self.check(loaded, items, q)
        expected = sorted(oracle(items, q), key=lambda i: _span(i)[0], reverse=True)
        got = [i for p in walk(loaded, q) for i in p]
        assert [_span(i)[0] for i in got] == [_span(i)[0] for i in expected]
        if n > 12:  # back from the third page to the first
            first = loaded.search(q)
            second = loaded.search(q.with_token(first.next_token))
            third = loaded.search(q.with_token(second.next_token))
            back = loaded.search(q.with_token(third.prev_token))
            assert _ids(back.items) == _ids(second.items)
            assert _ids(loaded.search(q.with_token(back.prev_token)).items) == _ids(first.items)

    def test_window_edges_are_inclusive(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        """An item exactly on either end of the window, or exactly on a cloud bound, matches."""
        some = [i for i in items if i["properties"].get("eo:cloud_cover") is not None][:25]
        for item in some:
            when = item["properties"]["datetime"]
            cloud = item["properties"]["eo:cloud_cover"]
            for interval in (f"{when}/{when}", f"../{when}", f"{when}/.."):
                q = params.from_get(
                    {
                        "bbox": "-180,-90,180,90",
                        "datetime": interval,
                        "filter": f"eo:cloud_cover BETWEEN {cloud} AND {cloud}",
                        "ids": item["id"],
                    },
                    10,
                    99,
                )
                assert loaded.search(q).number_matched == 1, (item["id"], interval)
                no_ids = params.from_get(
                    {
                        "bbox": "-180,-90,180,90",
                        "datetime": interval,
                        "filter": f"eo:cloud_cover <= {cloud} AND eo:cloud_cover >= {cloud}",
                        "limit": "1000",
                    },
                    10,
                    1000,
                )
                assert item["id"] in {i["id"] for p in walk(loaded, no_ids) for i in p}

    # -- time, ids, collections ------------------------------------------------------------------
    @pytest.mark.parametrize(
        "interval",
        [
            "2021-03-01T02:00:00Z",
            "2020-06-01T00:00:00Z/2020-06-30T23:59:59Z",
            "../2016-01-01T00:00:00Z",
            "2024-01-01T00:00:00Z/..",
            "2020-12-31T23:59:59Z/2021-01-01T00:00:00Z",
        ],
    )
    def test_datetime(self, loaded: CatalogStore, items: list[dict[str, Any]], interval: str) -> None:
        self.check(loaded, items, params.from_get({"datetime": interval, "limit": "40"}, 10, 1000))

    def test_interval_items_match_by_overlap(self, loaded: CatalogStore) -> None:
        q = params.from_get({"datetime": "2020-06-01T00:00:00Z/2020-06-02T00:00:00Z", "ids": "interval"}, 10, 100)
        assert loaded.search(q).number_matched == 1

    def test_ids_and_collections(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        some = tuple(_ids(items)[::37])
        self.check(loaded, items, SearchQuery(ids=some))
        self.check(loaded, items, SearchQuery(collections=("gf2-pms", "cbers04-mux"), limit=100))
        self.check(loaded, items, SearchQuery(collections=("gf2-pms",), ids=some))
        assert loaded.search(SearchQuery(collections=("empty",))).number_matched == 0
        assert loaded.search(SearchQuery()).number_matched == len(items)

    # -- filters --------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        "text",
        [
            "eo:cloud_cover <= 20",
            "eo:cloud_cover = 0",
            "eo:cloud_cover >= 100",
            "eo:cloud_cover BETWEEN 0 AND 10",
            "eo:cloud_cover < 10 OR eo:cloud_cover > 90",
            "NOT (eo:cloud_cover < 50)",
            "eo:cloud_cover IS NULL",
            "platform IN ('gf-2', 'cbers-4')",
            "platform = 'gf-1' AND gsd = 16",
            "id LIKE 'GF2%'",
            "id LIKE 'gf2%'",
            "collection <> 'gf1-wfv'",
            "\"eonode:sensor\" = 'WFV3'",
            "count > 3",
            "flag = true",
            "\"eonode:station\" LIKE 'M_C'",
            "view:off_nadir < 1.5 AND processing:level = 'L2A'",
            "S_INTERSECTS(geometry, POLYGON((100 20, 125 20, 125 45, 100 45, 100 20)))",
            "S_INTERSECTS(geometry, BBOX(3, 3, 7, 7)) OR S_INTERSECTS(geometry, BBOX(-20, -40, 60, 40))",
            "datetime >= TIMESTAMP('2024-01-01T00:00:00Z')",
            "datetime < TIMESTAMP('2016-01-01T00:00:00Z')",
        ],
    )
    def test_cql2_text(self, loaded: CatalogStore, items: list[dict[str, Any]], text: str) -> None:
        self.check(loaded, items, params.from_get({"filter": text, "limit": "60"}, 10, 1000))

    def test_cql2_json_equals_text(self, loaded: CatalogStore) -> None:
        text = params.from_get({"filter": "eo:cloud_cover < 15 AND platform = 'gf-6'"}, 10, 100)
        json_ = params.from_post(
            {
                "filter": {
                    "op": "and",
                    "args": [
                        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 15]},
                        {"op": "=", "args": [{"property": "platform"}, "gf-6"]},
                    ],
                }
            },
            10,
            100,
        )
        assert loaded.search(text).number_matched == loaded.search(json_).number_matched > 0

    def test_cloud_cover_bounds_are_inclusive(self, loaded: CatalogStore, items: list[dict[str, Any]]) -> None:
        everything = params.from_get({"filter": "eo:cloud_cover BETWEEN 0 AND 100"}, 10, 100)
        known = [i for i in items if i["properties"].get("eo:cloud_cover") is not None]
        assert loaded.search(everything).number_matched == len(known)
        unknown = params.from_get({"filter": "eo:cloud_cover IS NULL"}, 10, 100)
        assert loaded.search(unknown).number_matched == len(items) - len(known) > 0

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("T_INTERSECTS(datetime, INTERVAL('2020-06-01T00:00:00Z', '2020-06-02T00:00:00Z')) AND id = 'interval'", 1),
            (
                "T_DURING(datetime, INTERVAL('2021-03-01T00:00:00Z', '2021-03-05T00:00:00Z')) AND id IN "
                "('am-cross', 'ring', 'diagonal', 'custom', 'interval')",
                4,
            ),
            ("T_BEFORE(datetime, TIMESTAMP('2020-01-01T00:00:00Z')) AND id = 'interval'", 0),
            ("T_AFTER(datetime, TIMESTAMP('2020-01-01T00:00:00Z')) AND id = 'custom'", 1),
            ("T_INTERSECTS(datetime, INTERVAL('..', '2013-01-01T00:00:00Z'))", 0),
            ("T_CONTAINS(datetime, INTERVAL('2020-03-01T00:00:00Z', '2020-04-01T00:00:00Z')) AND id = 'interval'", 1),
            ("T_EQUALS(datetime, TIMESTAMP('2021-03-04T02:00:00Z'))", 1),
            ("CASEI(\"eonode:station\") = CASEI('myc')", 1),
        ],
    )
    def test_temporal_and_case_insensitive(self, loaded: CatalogStore, text: str, expected: int) -> None:
        assert loaded.search(params.from_get({"filter": text}, 10, 100)).number_matched == expected

    def test_bad_filters_are_400(self, loaded: CatalogStore) -> None:
        for bad in ("eo:cloud_cover <<< 3", "eo:cloud_cover = 'high'", "platform > 3", "geometry = 3"):
            with pytest.raises(InvalidFilter):
                loaded.search(params.from_get({"filter": bad}, 10, 100))
