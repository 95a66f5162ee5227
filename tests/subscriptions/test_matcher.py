"""The matcher against search: for every query, the items it accepts are exactly the items a
real SQLite catalogue returns.

The corpus mixes synthetic scenes with what breaks naive matchers: footprints crossing the
antimeridian, holes, null cloud cover, start/end intervals with and without ``datetime``, and
extra properties whose JSON type varies from item to item.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import shapely

from eonode.catalog.sqlite import SqliteCatalogStore
from eonode.catalog.store import CatalogStore
from eonode.catalog.testing import make_item
from eonode.catalog.testing_search import special_items, walk
from eonode.demo.synthetic import collections as demo_collections
from eonode.demo.synthetic import scenes
from eonode.errors import EonodeError, InvalidFilter
from eonode.geo.countries import territory
from eonode.models import search as params
from eonode.models.geometry import Bbox
from eonode.models.search import SearchQuery
from eonode.subscriptions.matcher import Matcher

Doc = dict[str, Any]
COLLECTIONS = [c["id"] for c in demo_collections()]


# -- the corpus ---------------------------------------------------------------------------------
def _box_item(rng: random.Random, k: int, lon: float, lat: float, width: float, height: float) -> Doc:
    """A box centred at ``lon`` (any value; wrapped), split into two parts if it crosses ±180°."""
    west, east = lon - width / 2, lon + width / 2
    south, north = lat - height / 2, lat + height / 2

    def ring(x1: float, x2: float) -> list[list[float]]:
        return [[x1, south], [x2, south], [x2, north], [x1, north], [x1, south]]

    item = make_item(
        f"AM_{k:04d}",
        rng.choice(COLLECTIONS),
        datetime=f"2022-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T0{rng.randrange(10)}:30:00Z",
        props={"eo:cloud_cover": None if k % 9 == 0 else float(rng.randrange(101)), "processing:level": "L1A"},
    )
    if west >= 180:
        item["geometry"] = {"type": "Polygon", "coordinates": [ring(west - 360, east - 360)]}
    elif east > 180:
        item["geometry"] = {"type": "MultiPolygon", "coordinates": [[ring(west, 180.0)], [ring(-180.0, east - 360)]]}
        item["bbox"] = [west, south, east - 360, north]
    else:
        item["geometry"] = {"type": "Polygon", "coordinates": [ring(west, east)]}
    return item


def antimeridian_items(n: int) -> Iterator[Doc]:
    """Small scenes over Fiji, Chukotka, the Aleutians and New Zealand, many crossing ±180°."""
    rng = random.Random(180)
    zones = [(-21.0, -15.0), (62.0, 70.0), (50.0, 55.0), (-46.0, -36.0)]
    for k in range(n):
        south, north = zones[k % len(zones)]
        yield _box_item(rng, k, rng.uniform(172, 188), rng.uniform(south, north), rng.uniform(0.3, 4), 1.0)


def interval_items(n: int) -> Iterator[Doc]:
    rng = random.Random(60)
    for k in range(n):
        year, month = rng.randrange(2014, 2026), rng.randrange(1, 12)
        start = f"{year}-{month:02d}-01T00:00:00Z"
        end = f"{year}-{month + 1:02d}-{rng.randrange(1, 28):02d}T12:00:00Z"
        dt = None if k % 3 else f"{year}-{month:02d}-15T06:00:00Z"
        x, y = rng.uniform(70, 130), rng.uniform(20, 50)
        yield make_item(
            f"IV_{k:04d}",
            rng.choice(COLLECTIONS),
            bbox=(x, y, x + 2, y + 2),
            datetime=dt,
            start_datetime=start,
            end_datetime=end,
            props={"eo:cloud_cover": None if k % 5 == 0 else float(k % 100)},
        )


def decorate(items: list[Doc]) -> list[Doc]:
    """Extra properties of varying JSON types on some items (and none on others)."""
    rng = random.Random(99)
    stations = ["MYC", "myc", "KSH", "Äbc", "äbc", "A%B", "SYA"]
    for k, item in enumerate(items):
        p = item["properties"]
        if k % 4 == 0:
            p["count"] = rng.randrange(10)
        if k % 5 == 0:
            p["flag"] = rng.random() < 0.5
        if k % 3 == 0:
            p["eonode:station"] = rng.choice(stations)
        if k % 7 == 0:
            p["score"] = rng.choice([1, 2.5, "high", True, None, [1, 2]])
        if k % 6 == 0:
            day, frac = rng.randrange(1, 28), rng.choice(["", ".5", ".250"])
            p["created"] = f"2023-03-{day:02d}T08:00:00{frac}Z" if k % 12 else f"2023-03-{day:02d}T16:00:00+08:00"
    return items


def corpus() -> list[Doc]:
    return decorate([*scenes(2000, seed=11), *special_items(), *antimeridian_items(240), *interval_items(150)])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogStore]:
    path = tmp_path_factory.mktemp("matcher")
    catalog = SqliteCatalogStore(f"sqlite:///{path}/catalog.sqlite", readers=2)
    for doc in demo_collections():
        catalog.put_collection(doc)
    report = catalog.upsert_items(corpus())
    assert not report.rejected, report.rejected
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def stored(store: CatalogStore) -> list[Doc]:
    """Every item as the catalogue stores it (normalised timestamps, bbox added)."""
    return [doc for page in walk(store, SearchQuery(limit=5000)) for doc in page]


# -- the queries --------------------------------------------------------------------------------
def get(**p: str) -> Callable[[], SearchQuery]:
    return lambda: params.from_get(p, 500, 1000)


def post(body: dict[str, Any]) -> Callable[[], SearchQuery]:
    return lambda: params.from_post(body, 500, 1000)


def area(geometry: Any) -> Callable[[], SearchQuery]:
    return lambda: SearchQuery(intersects=geometry() if callable(geometry) else geometry, limit=1000)


def _heptagon(cx: float, cy: float, r: float) -> shapely.Polygon:
    """An irregular (possibly concave) seven-sided polygon."""
    rng = random.Random(int(cx * 100 + cy))
    angles = [k * 2 * math.pi / 7 for k in range(7)]
    return shapely.Polygon(
        [(cx + r * rng.uniform(0.5, 1) * math.cos(a), cy + r * rng.uniform(0.5, 1) * math.sin(a)) for a in angles]
    )


SPLIT_BBOX = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [170, -30, -170, -5]}]}

QUERIES: dict[str, Callable[[], SearchQuery]] = {
    # areas
    "bbox": get(bbox="100,20,125,45"),
    "bbox-antimeridian-fiji": get(bbox="170,-30,-170,-5"),
    "bbox-antimeridian-north": get(bbox="160,50,-160,75"),
    "bbox-east-of-180-only": get(bbox="-180,45,-165,72"),
    "bbox-world": get(bbox="-180,-90,180,90"),
    "bbox-in-a-hole": get(bbox="3,3,7,7"),
    "polygon": area(_heptagon(110, 35, 8)),
    "polygon-small": area(_heptagon(60.5, 45.5, 0.7)),
    "point": area(shapely.Point(5, 5)),
    "line": area(shapely.LineString([(100, 25), (120, 40), (125, 30)])),
    "territory-RU": area(lambda: territory(["RU"])),
    "territory-FJ": area(lambda: territory(["FJ"])),
    "territory-US": area(lambda: territory(["US"])),
    "territory-NZ-CN": area(lambda: territory(["NZ", "CN"])),
    # time
    "instant": get(datetime="2021-03-01T02:00:00Z"),
    "closed": get(datetime="2020-06-01T00:00:00Z/2020-06-30T23:59:59Z"),
    "open-start": get(datetime="../2016-01-01T00:00:00Z"),
    "open-end": get(datetime="2024-01-01T00:00:00Z/.."),
    "interval-overlap": get(datetime="2019-05-20T00:00:00Z/2019-05-21T00:00:00Z"),
    # ids and collections
    "collections": get(collections="gf2-pms,cbers04-mux"),
    "ids": get(ids="am-cross,ring,interval,AM_0003,IV_0002,nope"),
    # filters
    "cloud<=20": get(filter="eo:cloud_cover <= 20"),
    "cloud-null": get(filter="eo:cloud_cover IS NULL"),
    "not-cloud<50": get(filter="NOT (eo:cloud_cover < 50)"),
    "cloud-between": get(filter="eo:cloud_cover BETWEEN 10 AND 30"),
    "cloud-or": get(filter="eo:cloud_cover < 10 OR eo:cloud_cover > 90"),
    "platform-in": get(filter="platform IN ('gf-2', 'cbers-4')"),
    "id-like": get(filter="id LIKE 'GF2%'"),
    "id-like-lower": get(filter="id LIKE 'gf2%'"),
    "station-like": get(filter="\"eonode:station\" LIKE 'M_C'"),
    "station-like-escaped": post(
        {"filter": {"op": "like", "args": [{"property": "eonode:station"}, "A\\%%"]}, "limit": 1000}
    ),
    "station-casei": get(filter="CASEI(\"eonode:station\") = CASEI('MYC')"),
    "station-casei-unicode": get(filter="CASEI(\"eonode:station\") = CASEI('äBC')"),
    "count-or-flag": get(filter="count > 3 OR flag = true"),
    "not-count": get(filter="NOT (count > 3)"),
    "count-in": get(filter="count IN (1, 2, 3)"),
    "flag-ne": get(filter="flag <> true"),
    "score-null": get(filter="score IS NULL"),
    "score-number": get(filter="score >= 2"),
    "score-text": get(filter="score = 'high'"),
    "collection-and-gsd": get(filter="collection <> 'gf1-wfv' AND gsd < 10"),
    "level-and-nadir": get(filter='"processing:level" = \'L2A\' AND "view:off_nadir" < 1.5'),
    "s_intersects-top": get(filter="S_INTERSECTS(geometry, POLYGON((100 20, 125 20, 125 45, 100 45, 100 20)))"),
    "s_intersects-antimeridian-bbox": post({"filter": SPLIT_BBOX, "limit": 1000}),
    "s_intersects-or": get(
        filter="S_INTERSECTS(geometry, BBOX(3, 3, 7, 7)) OR S_INTERSECTS(geometry, BBOX(-20, -40, 60, 40))"
    ),
    "s_within": get(filter="S_WITHIN(geometry, BBOX(100, 20, 125, 45)) AND eo:cloud_cover < 50"),
    "s_contains": get(filter="S_CONTAINS(geometry, POINT(110 30)) OR S_CONTAINS(geometry, POINT(178 -18))"),
    "s_disjoint": get(filter="S_DISJOINT(geometry, BBOX(-180, -90, 100, 90))"),
    "not-s_intersects": get(filter="NOT S_INTERSECTS(geometry, BBOX(60, 0, 180, 90))"),
    "datetime-compare": get(filter="datetime >= TIMESTAMP('2024-01-01T00:00:00Z')"),
    "datetime-string": get(filter="datetime < '2016-01-01T00:00:00Z'"),
    "start-null": get(filter="start_datetime IS NULL AND eo:cloud_cover = 0"),
    "end-compare": get(filter="end_datetime > TIMESTAMP('2020-01-01T00:00:00Z')"),
    "t_intersects": get(filter="T_INTERSECTS(datetime, INTERVAL('2020-06-01T00:00:00Z', '2020-08-01T00:00:00Z'))"),
    "t_during": get(filter="T_DURING(datetime, INTERVAL('2021-01-01T00:00:00Z', '2021-12-31T00:00:00Z'))"),
    "t_before": get(filter="T_BEFORE(datetime, TIMESTAMP('2015-01-01T00:00:00Z'))"),
    "t_after-open": get(filter="T_AFTER(datetime, INTERVAL('..', '2025-06-01T00:00:00Z'))"),
    "t_contains-start": get(
        filter="T_CONTAINS(start_datetime, DATE('2020-01-01')) OR T_EQUALS(end_datetime, end_datetime)"
    ),
    "t_overlaps-span": get(
        filter="T_OVERLAPS(INTERVAL(start_datetime, end_datetime), "
        "INTERVAL('2019-01-10T00:00:00Z', '2019-12-01T00:00:00Z'))"
    ),
    "created-text": get(filter="created > TIMESTAMP('2023-03-14T08:00:00Z')"),
    # the combinations subscribers save
    "portal": get(
        bbox="60,0,140,55",
        datetime="2018-01-01T00:00:00Z/2022-12-31T23:59:59Z",
        filter="eo:cloud_cover <= 20",
        collections="gf1-wfv,gf6-wfv,zy3-nad",
    ),
    "agreement-like": post(
        {
            "collections": ["gf1-wfv", "gf2-pms", "cbers04-mux"],
            "intersects": {"type": "Polygon", "coordinates": [[[95, 15], [135, 15], [135, 55], [95, 55], [95, 15]]]},
            "filter": {
                "op": "and",
                "args": [
                    {"op": "in", "args": [{"property": "processing:level"}, ["L1A"]]},
                    {
                        "op": "or",
                        "args": [
                            {"op": "isNull", "args": [{"property": "eo:cloud_cover"}]},
                            {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 30]},
                        ],
                    },
                ],
            },
            "limit": 1000,
        }
    ),
    "territory-and-filter": lambda: SearchQuery(
        intersects=territory(["RU", "FJ"]),
        datetime=params.parse_interval("2022-01-01T00:00:00Z/.."),
        limit=1000,
        filter=params.parse_filter("eo:cloud_cover < 60 OR eo:cloud_cover IS NULL", "cql2-text", None),
    ),
}


def _ids(docs: list[Doc]) -> set[str]:
    return {d["id"] for d in docs}


@pytest.mark.parametrize("name", list(QUERIES))
def test_matcher_accepts_exactly_what_search_returns(store: CatalogStore, stored: list[Doc], name: str) -> None:
    query = QUERIES[name]()
    expected = {doc["id"] for page in walk(store, query) for doc in page}
    got = _ids(list(Matcher(query).select(stored)))
    assert got == expected, (
        f"{name}: matcher only {sorted(got - expected)[:5]}, search only {sorted(expected - got)[:5]}"
    )
    assert store.search(query).number_matched == len(expected)


def test_the_queries_are_not_trivial(store: CatalogStore, stored: list[Doc]) -> None:
    """Each query should separate the corpus, or the comparison above proves little."""
    trivial = [n for n, q in QUERIES.items() if store.search(q()).number_matched in (0, len(stored))]
    assert trivial == ["bbox-world", "id-like-lower"]  # the latter proves LIKE is case-sensitive


@pytest.mark.parametrize(
    "text",
    [
        "eo:cloud_cover = 'high'",
        "platform > 3",
        "id = TIMESTAMP('2020-01-01T00:00:00Z')",
        "datetime = 3",
        "A_CONTAINS(instruments, ('wfv'))",
        "T_INTERSECTS(platform, TIMESTAMP('2020-01-01T00:00:00Z'))",
        "S_INTERSECTS(geometry, geometry)",
        "upper(platform) = 'GF-1'",
    ],
)
def test_what_search_refuses_the_matcher_refuses(store: CatalogStore, text: str) -> None:
    query = params.from_get({"filter": text}, 10, 100)
    with pytest.raises(InvalidFilter):
        store.search(query)
    with pytest.raises(InvalidFilter):
        Matcher(query)


@pytest.mark.parametrize(
    "text",
    [
        "datetime LIKE '2021%'",
        "datetime BETWEEN TIMESTAMP('2020-01-01T00:00:00Z') AND 5",
        "T_INTERSECTS(INTERVAL('..', '2022-01-01T00:00:00Z'), datetime)",
    ],
)
def test_what_search_cannot_run_the_matcher_refuses(store: CatalogStore, text: str) -> None:
    """Search accepts these, then fails in the database (a server error); a saved query must
    not be accepted for them. Should search learn to answer them, the matcher must follow."""
    query = params.from_get({"filter": text}, 10, 100)
    with pytest.raises(Exception):  # noqa: B017, PT011 - whichever error search fails with
        store.search(query)
    with pytest.raises(InvalidFilter):
        Matcher(query)


def test_malformed_json_filters_are_invalid_not_crashes() -> None:
    for bad in (
        {"op": "between", "args": [{"property": "gsd"}, [1]]},
        {"op": "and", "args": []},
        {"op": "=", "args": [{"property": "gsd"}, [1, 2]]},
        {"op": "like", "args": [{"property": "id"}, 3]},
        {"op": "t_intersects", "args": [{"property": "datetime"}, {"interval": ["2020-01-01"]}]},
    ):
        with pytest.raises(EonodeError):
            Matcher(SearchQuery(filter={"op": "not", "args": [bad]}))


def test_one_matcher_serves_several_threads(stored: list[Doc]) -> None:
    matcher = Matcher(SearchQuery(intersects=territory(["RU"]), bbox=None))
    alone = _ids(list(matcher.select(stored)))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _k: _ids(list(matcher.select(stored))), range(4)))
    assert all(r == alone for r in results)


def test_documents_without_what_a_query_reads_do_not_match() -> None:
    query = SearchQuery(bbox=Bbox(0, 0, 10, 10), datetime=params.parse_interval("2020-01-01T00:00:00Z/.."))
    matcher = Matcher(query)
    good = make_item("x", bbox=(1, 1, 2, 2), datetime="2021-01-01T00:00:00Z")
    assert matcher.matches(good)
    assert not matcher.matches({**good, "geometry": None})
    assert not matcher.matches({**good, "properties": {"datetime": "yesterday"}})
    assert Matcher(SearchQuery(filter={"op": "isNull", "args": [{"property": "x"}]})).matches({})
