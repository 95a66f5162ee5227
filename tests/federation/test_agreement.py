"""The agreement a parent keeps per child: validation, scope, embargo and feed classification."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from eonode.catalog.sqlite import SqliteCatalogStore
from eonode.catalog.testing import make_collection, make_item
from eonode.catalog.testing_search import walk
from eonode.errors import InvalidParameter
from eonode.federation.agreement import Agreement
from eonode.federation.pacing import TransferWindows
from eonode.models import search as params

Doc = dict[str, Any]
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def box_item(iid: str, x1: float, y1: float, x2: float, y2: float, **props: Any) -> Doc:
    """A box footprint; ``x1 > x2`` means it crosses the antimeridian (split in two parts)."""
    item = make_item(iid, props={"eo:cloud_cover": 10.0, "processing:level": "L1A", **props})
    if x1 > x2:
        item["geometry"] = {
            "type": "MultiPolygon",
            "coordinates": [
                [[[x1, y1], [180, y1], [180, y2], [x1, y2], [x1, y1]]],
                [[[-180, y1], [x2, y1], [x2, y2], [-180, y2], [-180, y1]]],
            ],
        }
        item["bbox"] = [x1, y1, x2, y2]
    else:
        item["geometry"] = {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
    return item


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"territory": ["CN", "XX", "ZZ"]}, "territory: unknown country codes 'XX', 'ZZ'"),
        ({"territory": ["Narnia"]}, "unknown country code 'Narnia'"),
        ({"territory": []}, "leave territory out for everywhere"),
        ({"territory": "CN"}, 'a list of country codes, e.g. ["CN", "MN"]'),
        (
            {"territory": {"type": "Polygon", "coordinates": [[[170, 0], [190, 0], [190, 5], [170, 5], [170, 0]]]}},
            "split a territory that crosses ±180° into parts",
        ),
        ({"collections": ["gf1-wfv", "no spaces"]}, "collection id 'no spaces' is not valid"),
        ({"collections": []}, "leave collections out for no limit"),
        ({"levels": ["L1A", ""]}, "levels: give a list of processing levels"),
        ({"max_cloud_cover": 120}, "max_cloud_cover: max_cloud_cover is a percentage between 0 and 100, not 120"),
        ({"max_cloud_cover": -1}, "between 0 and 100, not -1"),
        ({"max_cloud_cover": True}, "between 0 and 100, not True"),
        ({"embargo": -3600}, "embargo: the embargo must not be negative"),
        ({"embargo": "-PT1H"}, "the embargo must not be negative"),
        ({"bandwidth_limit": 0}, "bandwidth_limit: bandwidth_limit is in bytes per second and must be positive"),
        ({"transfer_windows": ["22:00"]}, "transfer window '22:00' is not HH:MM-HH:MM"),
        ({"transfer_windows": ["22:00-25:00"]}, "transfer window '22:00-25:00' names a time that does not exist"),
        ({"transfer_windows": ["22:00-06:00, 12:00-13:00"]}, "one window per entry"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"mode": "sometimes"}, "mode: Input should be 'metadata', 'full' or 'on_demand'"),
        ({"colections": ["gf1-wfv"]}, "colections: Extra inputs are not permitted"),
        ({"priority": "high"}, "priority: Input should be a valid integer"),
    ],
)
def test_invalid_agreements_say_what_is_wrong(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        Agreement.parse(data)
    assert caught.value.status == 400
    assert caught.value.description.startswith("invalid agreement: ")
    assert expected in caught.value.description


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidParameter) as caught:
        Agreement.parse(b'{"territory": ["QQ"], "max_cloud_cover": 101, "timezone": "Nowhere"}')
    text = caught.value.description
    assert "territory: unknown country code 'QQ'" in text
    assert "max_cloud_cover:" in text and "timezone:" in text


def test_country_codes_are_normalised() -> None:
    agreement = Agreement.parse({"territory": ["chn", "MN", "CN", "mng"]})
    assert agreement.territory == ("CN", "MN")


def test_json_round_trip() -> None:
    agreement = Agreement.parse(
        {
            "territory": ["RU", "FJ"],
            "collections": ["gf1-wfv", "gf2-pms"],
            "levels": ["L1A", "L2A"],
            "max_cloud_cover": 30,
            "embargo": "P1DT2H",
            "mode": "on_demand",
            "priority": 5,
            "bandwidth_limit": 10_000_000,
            "transfer_windows": ["22:00-06:00", "12:00-13:30"],
            "timezone": "Asia/Shanghai",
        }
    )
    form = agreement.model_dump(mode="json")
    assert form["embargo"] == "P1DT2H"
    assert form["territory"] == ["RU", "FJ"] and form["transfer_windows"] == ["22:00-06:00", "12:00-13:30"]
    assert Agreement.parse(agreement.model_dump_json()) == agreement
    assert Agreement.parse(form) == agreement
    geojson = Agreement.parse({"territory": {"type": "Point", "coordinates": [116.4, 39.9]}, "embargo": 3600})
    assert geojson.embargo == timedelta(hours=1)
    assert Agreement.parse(geojson.model_dump_json()) == geojson
    assert Agreement() == Agreement.parse({}) and Agreement().mode == "full"


def test_copies_get_their_own_matcher_and_pickle() -> None:
    fiji = Agreement(territory=("FJ",))
    item = box_item("chukotka", 178.0, 65.0, -178.0, 66.0)
    assert not fiji.in_scope(item, NOW)  # builds and keeps fiji's matcher
    russia = fiji.model_copy(update={"territory": ("RU",)})
    assert russia.in_scope(item, NOW)
    again = pickle.loads(pickle.dumps(fiji))
    assert again == fiji and not again.in_scope(item, NOW)


def test_transfer_schedule_is_handed_to_pacing() -> None:
    assert Agreement().transfer_schedule() is None
    schedule = Agreement(transfer_windows=("22:00-06:00",), timezone="Asia/Shanghai").transfer_schedule()
    assert isinstance(schedule, TransferWindows)
    assert schedule.is_open(datetime(2024, 6, 1, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    assert not schedule.is_open(datetime(2024, 6, 1, 3, 0, tzinfo=UTC))  # 11:00 in Shanghai


# -- scope --------------------------------------------------------------------------------------
def test_country_territories_across_the_antimeridian() -> None:
    russia = Agreement(territory=("RU",))
    assert russia.in_scope(box_item("chukotka-across", 178.0, 65.0, -178.0, 66.0), NOW)
    assert russia.in_scope(box_item("chukotka-east", -175.0, 66.0, -174.0, 67.0), NOW)
    assert not russia.in_scope(box_item("alaska", -150.0, 64.0, -149.0, 65.0), NOW)
    fiji = Agreement(territory=("FJ",))
    assert fiji.in_scope(box_item("fiji-across", 179.0, -17.5, -179.5, -16.5), NOW)
    assert not fiji.in_scope(box_item("samoa", -172.5, -14.0, -171.5, -13.5), NOW)
    usa = Agreement(territory=("US",))
    assert usa.in_scope(box_item("attu", 172.5, 52.5, 173.5, 53.2), NOW)  # the Aleutians west of 180°
    assert usa.in_scope(box_item("alaska", -150.0, 64.0, -149.0, 65.0), NOW)
    assert not usa.in_scope(box_item("chukotka-east", -175.0, 66.0, -174.0, 67.0), NOW)


def test_geojson_territory_split_at_the_antimeridian() -> None:
    split = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, -20], [180, -20], [180, -10], [170, -10], [170, -20]]],
            [[[-180, -20], [-170, -20], [-170, -10], [-180, -10], [-180, -20]]],
        ],
    }
    agreement = Agreement.parse({"territory": split})
    assert agreement.in_scope(box_item("west", 171.0, -15.0, 172.0, -14.0), NOW)
    assert agreement.in_scope(box_item("east", -172.0, -15.0, -171.0, -14.0), NOW)
    assert not agreement.in_scope(box_item("far", 0.0, -15.0, 1.0, -14.0), NOW)


def test_collections_and_levels() -> None:
    agreement = Agreement(collections=("gf1-wfv",), levels=("L2A",))
    assert agreement.in_scope(box_item("a", 0, 0, 1, 1, **{"processing:level": "L2A"}), NOW)
    assert not agreement.in_scope(box_item("b", 0, 0, 1, 1, **{"processing:level": "L1A"}), NOW)
    unknown = box_item("c", 0, 0, 1, 1)
    del unknown["properties"]["processing:level"]
    assert not agreement.in_scope(unknown, NOW), "a level list admits only items of those levels"
    other = {**box_item("d", 0, 0, 1, 1, **{"processing:level": "L2A"}), "collection": "gf2-pms"}
    assert not agreement.in_scope(other, NOW)


def test_cloud_limit_includes_unknown_cover() -> None:
    agreement = Agreement(max_cloud_cover=20)
    cover = {
        "clear": 10.0,
        "on-the-limit": 20.0,
        "cloudy": 30.0,
        "unknown": None,
    }
    got = {
        name: agreement.in_scope(box_item(name, 0, 0, 1, 1, **{"eo:cloud_cover": c}), NOW) for name, c in cover.items()
    }
    assert got == {"clear": True, "on-the-limit": True, "cloudy": False, "unknown": True}
    missing = box_item("missing", 0, 0, 1, 1)
    del missing["properties"]["eo:cloud_cover"]
    assert agreement.in_scope(missing, NOW)


def test_the_saved_query_is_canonical_cql2() -> None:
    query = Agreement(levels=("L1A",), max_cloud_cover=25, collections=("gf1-wfv",)).query()
    assert query.collections == ("gf1-wfv",)
    assert query.filter is not None
    assert params.parse_filter(query.filter, "cql2-json", None) == query.filter
    text = "processing:level IN ('L1A') AND (eo:cloud_cover IS NULL OR eo:cloud_cover <= 25)"
    assert params.parse_filter(text, "cql2-text", None) == query.filter
    assert Agreement().query().filter is None and Agreement().query().intersects is None


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[SqliteCatalogStore]:
    store = SqliteCatalogStore(f"sqlite:///{tmp_path}/catalog.sqlite", readers=1)
    for cid in ("gf1-wfv", "gf2-pms"):
        store.put_collection(make_collection(cid))
    yield store
    store.close()


def test_search_and_matcher_agree_on_the_agreement(catalog: SqliteCatalogStore) -> None:
    """The child's scope is a search: the parent can list what a child should hold."""
    docs = []
    for k in range(120):
        lon = -180.0 + 3 * k
        item = box_item(
            f"i{k:03d}",
            lon,
            60.0 + k % 10,
            lon + 2.5 if lon + 2.5 <= 180 else lon + 2.5 - 360,
            61.0 + k % 10,
            **{"eo:cloud_cover": None if k % 7 == 0 else float(k % 50), "processing:level": ("L1A", "L2A")[k % 2]},
        )
        item["collection"] = "gf1-wfv" if k % 3 else "gf2-pms"
        docs.append(item)
    assert not catalog.upsert_items(docs).rejected
    agreement = Agreement(territory=("RU", "US"), collections=("gf1-wfv",), levels=("L1A",), max_cloud_cover=25)
    stored = [d for page in walk(catalog, params.SearchQuery(limit=1000)) for d in page]
    query = agreement.query()
    searched = {d["id"] for page in walk(catalog, replace(query, limit=1000)) for d in page}
    matched = {d["id"] for d in stored if agreement.in_scope(d, NOW)}
    assert matched == searched
    assert 5 < len(matched) < len(stored)


# -- embargo ------------------------------------------------------------------------------------
def test_embargo_counts_from_created_then_ingest_then_acquisition() -> None:
    agreement = Agreement(embargo=timedelta(days=2))
    created = box_item("a", 0, 0, 1, 1, created="2024-05-30T00:00:00Z")
    assert agreement.eligible_at(created) == datetime(2024, 6, 1, tzinfo=UTC)
    assert agreement.eligible_at(created, ingested=NOW) == datetime(2024, 6, 1, tzinfo=UTC), "created wins"
    plain = box_item("b", 0, 0, 1, 1)  # datetime 2024-05-01T03:00:00Z
    assert agreement.eligible_at(plain, ingested=datetime(2024, 5, 31, 20, tzinfo=UTC)) == datetime(
        2024, 6, 2, 20, tzinfo=UTC
    )
    assert agreement.eligible_at(plain) == datetime(2024, 5, 3, 3, tzinfo=UTC)
    interval = make_item("c", datetime=None, start_datetime="2024-05-01T00:00:00Z", end_datetime="2024-05-20T00:00:00Z")
    assert agreement.eligible_at(interval) == datetime(2024, 5, 22, tzinfo=UTC), "from the end of acquisition"


def test_embargoed_items_are_out_of_scope_until_eligible() -> None:
    agreement = Agreement(embargo=timedelta(hours=6))
    item = box_item("a", 0, 0, 1, 1, created="2024-06-01T08:00:00Z")
    assert not agreement.in_scope(item, NOW)
    assert agreement.in_scope(item, datetime(2024, 6, 1, 14, 0, tzinfo=UTC)), "eligible at exactly created + 6 h"
    assert Agreement().in_scope(box_item("b", 0, 0, 1, 1, created="2030-01-01T00:00:00Z"), NOW), "no embargo"
    with pytest.raises(ValueError, match="timezone-aware"):
        agreement.in_scope(item, datetime(2024, 6, 1, 12, 0))


# -- the child's feed ---------------------------------------------------------------------------
def test_classify_changes_for_the_child() -> None:
    agreement = Agreement(territory=("FJ",), max_cloud_cover=50)
    inside = box_item("x", 179.0, -17.5, -179.5, -16.5)
    cloudy = box_item("x", 179.0, -17.5, -179.5, -16.5, **{"eo:cloud_cover": 90.0})
    elsewhere = box_item("x", 10.0, 10.0, 11.0, 11.0)
    assert agreement.classify(None, inside) == "enter"
    assert agreement.classify(inside, inside) == "update"
    assert agreement.classify(inside, cloudy) == "leave", "updated out of scope: the child deletes it"
    assert agreement.classify(inside, None) == "leave", "deleted"
    assert agreement.classify(cloudy, inside) == "enter", "updated into scope"
    assert agreement.classify(None, elsewhere) is None
    assert agreement.classify(elsewhere, cloudy) is None
    assert agreement.classify(elsewhere, None) is None
    assert agreement.classify(None, None) is None


def test_changes_are_released_when_the_embargo_ends() -> None:
    agreement = Agreement(embargo=timedelta(days=1), max_cloud_cover=50)
    item = box_item("x", 0, 0, 1, 1, created="2024-06-01T00:00:00Z")
    cloudy = box_item("x", 0, 0, 1, 1, created="2024-06-01T00:00:00Z", **{"eo:cloud_cover": 90.0})
    day_later = datetime(2024, 6, 2, tzinfo=UTC)
    assert agreement.release_at(None, item) == day_later
    assert agreement.release_at(item, cloudy) == day_later, "a leave never overtakes its enter"
    assert agreement.release_at(item, None) == day_later
    assert Agreement().release_at(None, item) is None
    elsewhere = box_item("y", 0, 0, 1, 1, **{"eo:cloud_cover": 99.0})
    assert agreement.release_at(None, elsewhere) is None, "nothing to send"
