"""The search request: one typed value built from GET parameters or a POST body.

Parsing is strict: anything malformed is a 400 with a message naming the parameter. The same
``SearchQuery`` drives ``/search``, ``/collections/{id}/items``, the portal and, later, the
subscription matcher.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import cql2
import orjson
from shapely.geometry.base import BaseGeometry

from eonode.errors import InvalidBbox, InvalidFilter, InvalidParameter, InvalidSortby
from eonode.models.geometry import Bbox, parse_geometry
from eonode.models.temporal import TimeInterval, parse_interval

CRS84 = {
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    "EPSG:4326",
}


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str  # normalised: "datetime", "eo:cloud_cover", "id", "collection", ...
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Fields:
    """The Fields extension: dotted paths to include and to exclude.

    ``include_given`` records that a POST body named ``include`` (even as null or []), which asks
    for the default field set rather than the whole item."""

    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    include_given: bool = False


DEFAULT_SORT = (SortKey("datetime", True),)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    collections: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    bbox: Bbox | None = None
    intersects: BaseGeometry | None = None
    datetime: TimeInterval | None = None
    filter: dict[str, Any] | None = None  # CQL2-JSON, validated
    sortby: tuple[SortKey, ...] = DEFAULT_SORT
    limit: int = 10
    token: str | None = None
    offset: int = 0  # items to skip before the page (the portal's "go to page"); ignored with a token
    fields: Fields | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_token(self, token: str | None) -> SearchQuery:
        return replace(self, token=token)

    def restricted_to(self, collection: str) -> SearchQuery:
        return replace(self, collections=(collection,))


def normalise_property(name: str) -> str:
    """``properties.eo:cloud_cover`` → ``eo:cloud_cover``; top-level names stay."""
    return name[len("properties.") :] if name.startswith("properties.") else name


# -- GET ----------------------------------------------------------------------------------------
def _split_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _parse_limit(value: Any, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidParameter("limit must be a positive integer")
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter("limit must be a positive integer") from None
    if isinstance(value, float) and value != limit:
        raise InvalidParameter("limit must be a positive integer")
    if limit < 1:
        raise InvalidParameter("limit must be a positive integer")
    return min(limit, maximum)


def _parse_sort_text(value: str) -> tuple[SortKey, ...]:
    keys = []
    for part in _split_list(value):
        desc = part.startswith("-")
        name = part[1:] if part[0] in "+-" else part
        if not name:
            raise InvalidSortby("sortby has an empty field name")
        keys.append(SortKey(normalise_property(name), desc))
    return tuple(keys) or DEFAULT_SORT


def _parse_sort_json(value: Any) -> tuple[SortKey, ...]:
    if isinstance(value, str):
        return _parse_sort_text(value)
    if not isinstance(value, list):
        raise InvalidSortby("sortby must be a list of {field, direction}")
    keys = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
            raise InvalidSortby("each sortby entry needs a 'field' string")
        direction = str(entry.get("direction", "asc")).lower()
        if direction not in ("asc", "desc"):
            raise InvalidSortby("sortby direction must be 'asc' or 'desc'")
        keys.append(SortKey(normalise_property(entry["field"]), direction == "desc"))
    return tuple(keys) or DEFAULT_SORT


def _parse_fields_text(value: str) -> Fields:
    include, exclude = set(), set()
    for part in _split_list(value):
        if part.startswith("-"):
            exclude.add(part[1:])
        else:
            include.add(part[1:] if part.startswith("+") else part)
    return Fields(frozenset(include), frozenset(exclude))


def _parse_fields_json(value: Any) -> Fields:
    if isinstance(value, str):
        return _parse_fields_text(value)
    if not isinstance(value, dict):
        raise InvalidParameter("fields must be an object with 'include' and/or 'exclude' lists")
    include, exclude = value.get("include") or [], value.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise InvalidParameter("fields.include and fields.exclude must be lists of strings")
    return Fields(frozenset(map(str, include)), frozenset(map(str, exclude)), include_given="include" in value)


def parse_filter(value: Any, lang: str | None, crs: str | None) -> dict[str, Any]:
    """Validate a CQL2 filter (text or JSON) with the cql2 library and return it as CQL2-JSON."""
    if crs is not None and crs not in CRS84:
        raise InvalidFilter(f"filter-crs {crs!r} is not supported; only CRS84 (EPSG:4326)")
    if lang is not None and lang not in ("cql2-text", "cql2-json"):
        raise InvalidFilter(f"filter-lang {lang!r} is not supported; use cql2-text or cql2-json")
    try:
        if isinstance(value, str) and lang != "cql2-json":
            expr = cql2.parse_text(value)
        elif isinstance(value, str):
            expr = cql2.parse_json(value)
        elif isinstance(value, dict):
            if lang == "cql2-text":
                raise InvalidFilter("filter-lang is cql2-text but the filter is a JSON object")
            expr = cql2.Expr(value)
        else:
            raise InvalidFilter("filter must be a CQL2 text string or a CQL2-JSON object")
        # Expr.validate() checks the JSON schema but costs ~20 ms a call; the translator checks the
        # structure it uses (operators, arity, operand types) and refuses anything else with a 400.
        result = expr.to_json()
    except InvalidFilter:
        raise
    except Exception as exc:  # the cql2 library raises several types, all meaning "invalid"
        first = str(exc).strip().splitlines()
        raise InvalidFilter(f"invalid CQL2 filter: {' '.join(x.strip() for x in first)[:500]}") from None
    if not isinstance(result, dict):
        raise InvalidFilter("a CQL2 filter must be a boolean expression")
    return result


def _geometry_param(value: Any) -> BaseGeometry:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise InvalidParameter("intersects must be a GeoJSON geometry") from None
    return parse_geometry(value)


def _interval_param(value: Any) -> TimeInterval:
    if not isinstance(value, str):
        raise InvalidParameter("datetime must be a string")
    return parse_interval(value)


def from_get(params: Mapping[str, str], default_limit: int, max_limit: int) -> SearchQuery:
    """Build a query from GET parameters (``/search`` and ``/collections/{id}/items``)."""
    bbox = Bbox.parse(params["bbox"]) if params.get("bbox") else None
    intersects = _geometry_param(params["intersects"]) if params.get("intersects") else None
    if bbox is not None and intersects is not None:
        raise InvalidParameter("bbox and intersects cannot be used together")
    flt = None
    if params.get("filter"):
        flt = parse_filter(params["filter"], params.get("filter-lang") or "cql2-text", params.get("filter-crs"))
    return SearchQuery(
        collections=_split_list(params["collections"]) or None if params.get("collections") else None,
        ids=_split_list(params["ids"]) or None if params.get("ids") else None,
        bbox=bbox,
        intersects=intersects,
        datetime=_interval_param(params["datetime"]) if params.get("datetime") else None,
        filter=flt,
        sortby=_parse_sort_text(params["sortby"]) if params.get("sortby") else DEFAULT_SORT,
        limit=_parse_limit(params.get("limit"), default_limit, max_limit),
        token=params.get("token") or None,
        fields=_parse_fields_text(params["fields"]) if "fields" in params else None,
    )


def _string_list(body: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return _split_list(value) or None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"{name} must be a list of strings")
    return tuple(value) or None


def from_post(body: Mapping[str, Any], default_limit: int, max_limit: int) -> SearchQuery:
    """Build a query from a POST /search JSON body."""
    if not isinstance(body, Mapping):
        raise InvalidParameter("the search body must be a JSON object")
    _check_explicit_nulls(body)
    bbox = None
    if body.get("bbox") is not None:
        if not isinstance(body["bbox"], list):
            raise InvalidBbox("in a POST body, bbox is a JSON array of 4 or 6 numbers")
        bbox = Bbox.from_values(body["bbox"])
    intersects = _geometry_param(body["intersects"]) if body.get("intersects") is not None else None
    if bbox is not None and intersects is not None:
        raise InvalidParameter("bbox and intersects cannot be used together")
    flt = None
    if body.get("filter") is not None:
        default_lang = "cql2-text" if isinstance(body["filter"], str) else "cql2-json"
        flt = parse_filter(body["filter"], body.get("filter-lang") or default_lang, body.get("filter-crs"))
    return SearchQuery(
        collections=_string_list(body, "collections"),
        ids=_string_list(body, "ids"),
        bbox=bbox,
        intersects=intersects,
        datetime=_interval_param(body["datetime"]) if body.get("datetime") is not None else None,
        filter=flt,
        sortby=_parse_sort_json(body["sortby"]) if body.get("sortby") else DEFAULT_SORT,
        limit=_parse_limit(body.get("limit"), default_limit, max_limit),
        token=str(body["token"]) if body.get("token") else None,
        fields=_parse_fields_json(body["fields"]) if body.get("fields") is not None else None,
    )


def _check_explicit_nulls(body: Mapping[str, Any]) -> None:
    if "fields" in body and body["fields"] is None:
        raise InvalidParameter("fields must be an object with 'include' and/or 'exclude' lists, not null")
