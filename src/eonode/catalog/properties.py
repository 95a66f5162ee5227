"""Item properties that live in their own indexed columns, and the queryables they make.

Every other property is still searchable (through the JSON document), only slower. The column
names are the same on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["number", "string", "datetime"]


@dataclass(frozen=True, slots=True)
class Promoted:
    prop: str  # STAC property name
    column: str  # column name in the search table
    kind: Kind
    title: str
    schema: dict[str, Any]


PROMOTED: tuple[Promoted, ...] = (
    Promoted(
        "eo:cloud_cover", "cloud_cover", "number", "Cloud cover (%)", {"type": "number", "minimum": 0, "maximum": 100}
    ),
    Promoted("gsd", "gsd", "number", "Ground sample distance (m)", {"type": "number", "exclusiveMinimum": 0}),
    Promoted("platform", "platform", "string", "Platform (satellite)", {"type": "string"}),
    Promoted("constellation", "constellation", "string", "Constellation", {"type": "string"}),
    Promoted("processing:level", "processing_level", "string", "Processing level", {"type": "string"}),
    Promoted(
        "eonode:availability",
        "availability",
        "string",
        "Availability: online (held here), offline (archived, must be staged) or remote (held upstream)",
        {"type": "string", "enum": ["online", "offline", "remote"]},
    ),
    Promoted(
        "view:off_nadir",
        "off_nadir",
        "number",
        "Off-nadir angle (deg)",
        {"type": "number", "minimum": 0, "maximum": 90},
    ),
    Promoted(
        "view:sun_elevation",
        "sun_elevation",
        "number",
        "Sun elevation (deg)",
        {"type": "number", "minimum": -90, "maximum": 90},
    ),
)
PROMOTED_BY_PROP = {p.prop: p for p in PROMOTED}

# Temporal columns: datetime, start_datetime and end_datetime are kept as given (nullable);
# t_start/t_end are the item's instant or interval, always set, used for datetime searches.
TEMPORAL_PROPS = {"datetime": "datetime", "start_datetime": "start_datetime", "end_datetime": "end_datetime"}

CORE_QUERYABLES: dict[str, dict[str, Any]] = {
    "id": {"title": "Item ID", "type": "string"},
    "collection": {"title": "Collection ID", "type": "string"},
    "geometry": {"title": "Footprint", "$ref": "https://geojson.org/schema/Geometry.json"},
    "datetime": {"title": "Acquisition time (UTC)", "type": "string", "format": "date-time"},
    "start_datetime": {"title": "Start time (UTC)", "type": "string", "format": "date-time"},
    "end_datetime": {"title": "End time (UTC)", "type": "string", "format": "date-time"},
}


def queryables_schema(url: str, title: str, extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema document served at ``/queryables``."""
    props: dict[str, dict[str, Any]] = dict(CORE_QUERYABLES)
    for p in PROMOTED:
        props[p.prop] = {"title": p.title, **p.schema}
    for name, schema in (extra or {}).items():
        props[name] = {**schema, **props.get(name, {})}  # our titles and types, the summary's enum
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": title,
        "properties": props,
        "additionalProperties": True,
    }
