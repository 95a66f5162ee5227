"""Checking and normalising STAC documents before they are stored.

Stored documents are STAC 1.1.0, timestamps in UTC with a 'Z', links stripped (the API makes
them per request), ``bbox`` always present. An item becomes a :class:`PreparedItem`: the document
plus the typed values that the search columns hold.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import shapely

from eonode import STAC_VERSION
from eonode.catalog.properties import PROMOTED
from eonode.errors import EonodeError, InvalidStac
from eonode.models.geometry import parse_geometry
from eonode.models.temporal import format_instant, parse_instant, to_micros
from eonode.storage.store import blob_digest

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,255}$")


def check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidStac(
            f"{what} id {value!r} is not valid: use 1-256 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )
    return value


def _timestamp(props: dict[str, Any], name: str) -> datetime | None:
    value = props.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidStac(f"properties.{name} must be an RFC 3339 string")
    try:
        parsed = parse_instant(value)
    except EonodeError as exc:
        raise InvalidStac(f"properties.{name}: {exc.description}") from None
    if not value.endswith("Z") or "T" not in value:
        props[name] = format_instant(parsed)
    return parsed


@dataclass(slots=True)
class PreparedItem:
    """A checked item: its stored form (JSON text and version tag) and its search values.

    Everything here is plain data, so items can be prepared in worker processes and written by
    the one writer. ``doc`` is dropped by :meth:`detached` to keep that hand-over cheap.
    """

    collection: str
    id: str
    body: str  # the stored JSON document
    etag: str
    wkb: bytes
    bounds: tuple[float, float, float, float]
    # times as integer microseconds since the epoch (cheap to pass between processes)
    t_start: int  # the item's instant, or the start of its interval
    t_end: int
    prop_datetime: int | None  # the datetime, start_datetime and end_datetime properties
    prop_start: int | None
    prop_end: int | None
    promoted: tuple[Any, ...]  # the promoted properties' values, in PROMOTED order
    doc: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        if self.doc is not None:
            return self.doc
        doc: dict[str, Any] = orjson.loads(self.body)
        return doc

    def detached(self) -> PreparedItem:
        self.doc = None
        return self

    def __getstate__(self) -> tuple[Any, ...]:
        """Pickle as a plain tuple, without the document (several times faster than the default)."""
        return (
            self.collection,
            self.id,
            self.body,
            self.etag,
            self.wkb,
            self.bounds,
            self.t_start,
            self.t_end,
            self.prop_datetime,
            self.prop_start,
            self.prop_end,
            self.promoted,
        )

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        (
            self.collection,
            self.id,
            self.body,
            self.etag,
            self.wkb,
            self.bounds,
            self.t_start,
            self.t_end,
            self.prop_datetime,
            self.prop_start,
            self.prop_end,
            self.promoted,
        ) = state
        self.doc = None


def etag_of(doc: dict[str, Any]) -> str:
    """Version tag of a document: independent of key order."""
    return hashlib.blake2b(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _promoted_values(props: dict[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = [None] * len(PROMOTED)
    for k, p in enumerate(PROMOTED):
        value = props.get(p.prop)
        if value is None:
            continue
        if p.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidStac(f"properties.{p.prop} must be a number")
            bounds = p.schema
            if ("minimum" in bounds and value < bounds["minimum"]) or (
                "maximum" in bounds and value > bounds["maximum"]
            ):
                raise InvalidStac(
                    f"properties.{p.prop} = {value} is out of range "
                    f"[{bounds.get('minimum')}, {bounds.get('maximum')}]; unknown values must be null"
                )
            values[k] = float(value)
        else:
            if not isinstance(value, str):
                raise InvalidStac(f"properties.{p.prop} must be a string")
            values[k] = value
    return tuple(values)


AVAILABILITY = ("online", "offline", "remote")


def availability(assets: dict[str, Any], stated: Any) -> str | None:
    """Where the item's data is, as users see it: ``online`` when this node's blob store holds
    the data asset, ``remote`` when it is only referenced elsewhere (an upstream node, a URL),
    and ``offline`` only when the writer says so (archived bytes that must be staged first).
    Items without a data asset have no availability. Derived on every write, so a stated
    ``online`` cannot outlive the bytes."""
    data = assets.get("data")
    if not isinstance(data, dict):
        return None
    if blob_digest(str(data.get("href", ""))) is not None:
        return "offline" if stated == "offline" else "online"
    return "offline" if stated == "offline" else "remote"


def _set_availability(props: dict[str, Any], assets: dict[str, Any]) -> None:
    where = availability(assets, props.pop("eonode:availability", None))
    if where is not None:
        props["eonode:availability"] = where


def prepare_item(doc: Any, collection: str | None = None) -> PreparedItem:
    """Check an item document; ``collection`` (from the URL) must agree with the document's."""
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InvalidStac("an item must be a GeoJSON Feature object (type 'Feature')")
    item_id = check_id(doc.get("id"), "item")
    given = doc.get("collection", collection)
    if collection is not None and given != collection:
        raise InvalidStac(f"item {item_id} names collection {given!r} but was sent to {collection!r}")
    coll = check_id(given, "collection")
    if doc.get("geometry") is None:
        raise InvalidStac(f"item {item_id} has no geometry; eonode catalogues footprints only")
    try:
        geometry = parse_geometry(doc["geometry"])
    except EonodeError as exc:
        raise InvalidStac(f"item {item_id}: {exc.description}") from None
    props = doc.get("properties")
    if not isinstance(props, dict):
        raise InvalidStac(f"item {item_id} has no properties object")
    props = dict(props)
    dt = _timestamp(props, "datetime")
    start = _timestamp(props, "start_datetime")
    end = _timestamp(props, "end_datetime")
    for extra in ("created", "updated"):
        _timestamp(props, extra)
    if dt is None and (start is None or end is None):
        raise InvalidStac(f"item {item_id} needs properties.datetime or both start_datetime and end_datetime")
    if start is not None and end is not None and start > end:
        raise InvalidStac(f"item {item_id}: start_datetime is after end_datetime")
    if dt is None and "datetime" not in props:
        props["datetime"] = None
    t_start = start if start is not None else dt
    t_end = end if end is not None else dt
    assert t_start is not None and t_end is not None
    assets = doc.get("assets", {})
    if not isinstance(assets, dict) or not all(
        isinstance(a, dict) and isinstance(a.get("href"), str) for a in assets.values()
    ):
        raise InvalidStac(f"item {item_id}: assets must map keys to objects with an 'href'")
    _set_availability(props, assets)
    out = {k: v for k, v in doc.items() if k != "links"}
    out.update(
        type="Feature",
        stac_version=STAC_VERSION,
        collection=coll,
        properties=props,
        assets=assets,
    )
    out.setdefault("stac_extensions", [])
    declared = doc.get("bbox")
    if isinstance(declared, list) and len(declared) in (4, 6) and declared[0] > declared[len(declared) // 2]:
        out["bbox"] = declared  # crosses the antimeridian: keep the producer's box
    else:
        out["bbox"] = list(geometry.bounds)
    bounds = geometry.bounds
    return PreparedItem(
        collection=coll,
        id=item_id,
        body=orjson.dumps(out).decode(),
        etag=etag_of(out),
        wkb=shapely.to_wkb(geometry),
        bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
        doc=out,
        t_start=to_micros(t_start),
        t_end=to_micros(t_end),
        prop_datetime=None if dt is None else to_micros(dt),
        prop_start=None if start is None else to_micros(start),
        prop_end=None if end is None else to_micros(end),
        promoted=_promoted_values(props),
    )


def _extent_instant(cid: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return format_instant(parse_instant(value))
    except EonodeError:
        raise InvalidStac(f"collection {cid}: temporal extent {value!r} is not RFC 3339") from None


def prepare_collection(doc: Any, collection: str | None = None) -> dict[str, Any]:
    """Check a collection document and return its stored form."""
    if not isinstance(doc, dict) or doc.get("type") != "Collection":
        raise InvalidStac("a collection must be a JSON object with type 'Collection'")
    cid = check_id(doc.get("id"), "collection")
    if collection is not None and cid != collection:
        raise InvalidStac(f"collection id {cid!r} does not match the URL ({collection!r})")
    if not isinstance(doc.get("description"), str) or not doc["description"]:
        raise InvalidStac(f"collection {cid} needs a description")
    extent = doc.get("extent")
    if not isinstance(extent, dict):
        raise InvalidStac(f"collection {cid} needs an extent with spatial and temporal parts")
    spatial = (extent.get("spatial") or {}).get("bbox")
    temporal = (extent.get("temporal") or {}).get("interval")
    if not (isinstance(spatial, list) and spatial and all(isinstance(b, list) for b in spatial)):
        raise InvalidStac(f"collection {cid}: extent.spatial.bbox must be a list of boxes")
    if not (isinstance(temporal, list) and temporal and all(isinstance(i, list) and len(i) == 2 for i in temporal)):
        raise InvalidStac(f"collection {cid}: extent.temporal.interval must be a list of [start, end]")
    intervals = [[_extent_instant(cid, v) for v in interval] for interval in temporal]
    out = {k: v for k, v in doc.items() if k != "links"}
    out["extent"] = {**extent, "temporal": {**extent["temporal"], "interval": intervals}}
    out.update(type="Collection", stac_version=STAC_VERSION)
    out.setdefault("license", "other")
    out.setdefault("stac_extensions", [])
    return out
