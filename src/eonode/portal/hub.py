"""The image data hub: a search form whose state lives in the URL, results with "Total N",
pages of 10/20/50 with "go to page", and footprints for the map.

Searches run through the same scope as the API (hidden collections do not exist here either)
and the same store; page numbers become offsets (at most ``MAX_OFFSET`` deep).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from eonode.api.links import Urls, decorate_item
from eonode.geo.countries import country as country_by_code
from eonode.models import search as search_params
from eonode.models.search import SearchQuery
from eonode.storage.store import blob_digest

PAGE_SIZES = (10, 20, 50)
MAX_OFFSET = 10_000
AVAILABILITY = ("online", "offline")
SORTS = {"newest": "-datetime", "oldest": "datetime", "cloud": "eo:cloud_cover,-datetime"}


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value not in (None, "") else default
    except ValueError:
        return default


@dataclass
class HubForm:
    """What the user asked, as read from the URL (lenient: bad values fall back, with a message)."""

    bbox: str = ""
    intersects: str = ""
    country: str = ""
    start: str = ""
    end: str = ""
    collections: list[str] = field(default_factory=list)
    cloud_min: int = 0
    cloud_max: int = 100
    cloud_unknown: bool = True
    level: str = ""
    availability: str = ""  # "", "online" or "offline" (offline: anything that is not online)
    sort: str = "newest"
    limit: int = 10
    page: int = 1
    base: str = "/"  # where the hub lives: "/" or a theme portal "/p/NAME"

    @classmethod
    def read(cls, params: QueryParams) -> HubForm:
        form = cls(
            bbox=params.get("bbox", "").strip(),
            intersects=params.get("intersects", "").strip(),
            country=params.get("country", "").strip().upper(),
            start=params.get("start", "").strip(),
            end=params.get("end", "").strip(),
            collections=[c for c in params.getlist("collections") if c],
            cloud_min=_int(params.get("cloud_min"), 0, 0, 100),
            cloud_max=_int(params.get("cloud_max"), 100, 0, 100),
            cloud_unknown=params.get("cloud_unknown", "1") not in ("0", "", "off"),
            level=params.get("level", "").strip(),
            availability=params.get("availability", "") if params.get("availability") in AVAILABILITY else "",
            sort=params.get("sort", "newest") if params.get("sort") in SORTS else "newest",
            limit=size if (size := _int(params.get("limit"), 10, 1, 50)) in PAGE_SIZES else 10,
            page=_int(params.get("page"), 1, 1, 1_000_000),
        )
        if form.cloud_min > form.cloud_max:
            form.cloud_min, form.cloud_max = form.cloud_max, form.cloud_min
        return form

    @property
    def searched(self) -> bool:
        return any(
            (self.bbox, self.intersects, self.country, self.start, self.end, self.collections, self.level)
        ) or bool(self.availability)

    def _filter(self) -> str:
        parts = []
        if (self.cloud_min, self.cloud_max) != (0, 100) or not self.cloud_unknown:
            cloud = f"eo:cloud_cover BETWEEN {self.cloud_min} AND {self.cloud_max}"
            parts.append(f"({cloud} OR eo:cloud_cover IS NULL)" if self.cloud_unknown else cloud)
        if self.level:
            parts.append("processing:level = '" + self.level.replace("'", "''") + "'")
        if self.availability == "online":
            parts.append("eonode:availability = 'online'")
        elif self.availability == "offline":
            parts.append("(eonode:availability IS NULL OR eonode:availability <> 'online')")
        return " AND ".join(parts)

    def query(self, max_limit: int) -> SearchQuery:
        """The store query; EonodeError (400 family) for values the search cannot take."""
        params: dict[str, str] = {"limit": str(self.limit), "sortby": SORTS[self.sort]}
        if self.bbox:
            params["bbox"] = self.bbox
        elif self.intersects:
            params["intersects"] = self.intersects
        if self.start or self.end:
            start = f"{self.start}T00:00:00Z" if self.start else ".."
            end = f"{self.end}T23:59:59Z" if self.end else ".."
            params["datetime"] = f"{start}/{end}"
        if self.collections:
            params["collections"] = ",".join(self.collections)
        if flt := self._filter():
            params["filter"] = flt
        query = search_params.from_get(params, self.limit, max_limit)
        if self.country and not self.bbox and not self.intersects:
            query = replace(query, intersects=country_by_code(self.country).geometry)
        return replace(query, offset=min(MAX_OFFSET, (self.page - 1) * self.limit))

    def url(self, **changes: Any) -> str:
        """This search's address (with ``changes``), for links and bookmarks."""
        values = {**{f: getattr(self, f) for f in self.__dataclass_fields__}, **changes}
        pairs: list[tuple[str, str]] = []
        for name in ("bbox", "intersects", "country", "start", "end", "level", "availability"):
            if values[name]:
                pairs.append((name, str(values[name])))
        pairs += [("collections", c) for c in values["collections"]]
        if (values["cloud_min"], values["cloud_max"]) != (0, 100):
            pairs += [("cloud_min", str(values["cloud_min"])), ("cloud_max", str(values["cloud_max"]))]
        if not values["cloud_unknown"]:
            pairs.append(("cloud_unknown", "0"))
        if values["sort"] != "newest":
            pairs.append(("sort", values["sort"]))
        if values["limit"] != 10:
            pairs.append(("limit", str(values["limit"])))
        if values["page"] != 1:
            pairs.append(("page", str(values["page"])))
        return f"{self.base}?{urlencode(pairs)}" if pairs else self.base


@dataclass(frozen=True)
class SensorNode:
    id: str
    name: str
    collections: list[tuple[str, str]]  # (collection id, level)


@dataclass(frozen=True)
class SatelliteNode:
    id: str
    name: str
    name_zh: str
    series: str
    sensors: list[SensorNode]

    @property
    def collection_ids(self) -> list[str]:
        return [c for s in self.sensors for c, _level in s.collections]


def satellite_tree(collections: list[dict[str, Any]]) -> list[SatelliteNode]:
    """Satellite → sensor → collections (levels), from the collections' registry facts; thematic
    Level-2 collections belong to the product hub, not here."""
    sats: dict[str, dict[str, Any]] = {}
    for doc in collections:
        sat, sensor = doc.get("eonode:satellite"), doc.get("eonode:sensor")
        if not isinstance(sat, dict) or "eonode:theme" in doc:
            continue
        entry = sats.setdefault(sat["id"], {"sat": sat, "sensors": {}})
        sensor_id = sensor.get("id", "?") if isinstance(sensor, dict) else "?"
        sensor_name = sensor.get("name", sensor_id) if isinstance(sensor, dict) else sensor_id
        levels = (doc.get("summaries") or {}).get("processing:level") or ["?"]
        entry["sensors"].setdefault(sensor_id, (sensor_name, []))[1].append((doc["id"], str(levels[0])))
    out = []
    for sat_id, entry in sorted(sats.items()):
        sat = entry["sat"]
        sensors = [SensorNode(sid, name, sorted(cols)) for sid, (name, cols) in sorted(entry["sensors"].items())]
        out.append(
            SatelliteNode(sat_id, sat.get("name", sat_id), sat.get("name_zh", ""), sat.get("series", ""), sensors)
        )
    return out


def result_row(doc: dict[str, Any], urls: Urls, collection: dict[str, Any] | None) -> dict[str, Any]:
    """What a result shows. Online: the node holds the data bytes (items written before the
    availability property existed are judged by their data reference, read before the stored
    references become URLs)."""
    props = doc.get("properties", {})
    sat = (collection or {}).get("eonode:satellite") or {}
    where = props.get("eonode:availability")
    if where is None:
        data = doc.get("assets", {}).get("data")
        where = "online" if data is not None and blob_digest(str(data.get("href", ""))) is not None else "remote"
    decorated = decorate_item(doc, urls)
    thumb = next((a for a in decorated.get("assets", {}).values() if "thumbnail" in (a.get("roles") or [])), None)
    return {
        "id": doc["id"],
        "collection": doc["collection"],
        "href": next((ln["href"] for ln in decorated.get("links", []) if ln.get("rel") == "self"), ""),
        "thumbnail": thumb["href"] if thumb else None,
        "satellite": sat.get("name") or props.get("platform", ""),
        "satellite_zh": sat.get("name_zh") or "",
        "sensor": ", ".join(str(i).upper() for i in props.get("instruments") or []),
        "level": props.get("processing:level", ""),
        "datetime": props.get("datetime") or props.get("start_datetime") or "",
        "cloud": props.get("eo:cloud_cover"),
        "online": where == "online",
        "availability": where,
        "geometry": doc.get("geometry"),
    }


def pages(total: int, form: HubForm) -> dict[str, int]:
    last = max(1, min(math.ceil(total / form.limit), MAX_OFFSET // form.limit + 1))
    return {"current": min(form.page, last), "last": last}
