"""Bounding boxes and GeoJSON geometries (WGS 84 lon/lat), with the antimeridian handled."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from eonode.errors import InvalidBbox, InvalidGeometry

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


@dataclass(frozen=True, slots=True)
class Bbox:
    """A lon/lat box. ``minx > maxx`` means the box crosses the antimeridian."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Bbox:
        if len(values) not in (4, 6):
            raise InvalidBbox(f"bbox has {len(values)} values; it needs 4 (2D) or 6 (3D)")
        try:
            nums = [float(v) for v in values]
        except (TypeError, ValueError):
            raise InvalidBbox("bbox values must be numbers") from None
        if not all(math.isfinite(v) for v in nums):
            raise InvalidBbox("bbox values must be finite numbers")
        if len(nums) == 6:
            nums = [nums[0], nums[1], nums[3], nums[4]]
        box = cls(*nums)
        if not (-180 <= box.minx <= 180 and -180 <= box.maxx <= 180):
            raise InvalidBbox("bbox longitudes must lie in [-180, 180]")
        if not (-90 <= box.miny <= 90 and -90 <= box.maxy <= 90):
            raise InvalidBbox("bbox latitudes must lie in [-90, 90]")
        if box.miny > box.maxy:
            raise InvalidBbox("bbox miny is greater than maxy")
        return box

    @classmethod
    def parse(cls, text: str) -> Bbox:
        """Parse the ``bbox`` query parameter: comma-separated numbers."""
        return cls.from_values([v.strip() for v in text.split(",")])

    @property
    def crosses_antimeridian(self) -> bool:
        return self.minx > self.maxx

    def parts(self) -> list[tuple[float, float, float, float]]:
        """One box, or two when it crosses the antimeridian."""
        if self.crosses_antimeridian:
            return [(self.minx, self.miny, 180.0, self.maxy), (-180.0, self.miny, self.maxx, self.maxy)]
        return [(self.minx, self.miny, self.maxx, self.maxy)]

    def to_geometry(self) -> BaseGeometry:
        boxes = [shapely.box(*p) for p in self.parts()]
        return boxes[0] if len(boxes) == 1 else shapely.MultiPolygon(boxes)

    def as_list(self) -> list[float]:
        return [self.minx, self.miny, self.maxx, self.maxy]


def parse_geometry(obj: Any) -> BaseGeometry:
    """A GeoJSON geometry object (dict) to a valid shapely geometry, or InvalidGeometry."""
    if not isinstance(obj, dict) or obj.get("type") not in GEOMETRY_TYPES:
        raise InvalidGeometry("expected a GeoJSON geometry object with a valid 'type'")
    try:
        geom = shapely.from_geojson(orjson.dumps(obj))
    except (shapely.errors.GEOSException, ValueError, TypeError, orjson.JSONEncodeError) as exc:
        raise InvalidGeometry(f"invalid GeoJSON geometry: {exc}") from None
    if geom.is_empty:
        raise InvalidGeometry("the geometry is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidGeometry("geometry coordinates must be finite numbers")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidGeometry("geometry coordinates must be lon/lat within [-180, 180] x [-90, 90]")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InvalidGeometry(f"the geometry is not valid ({reason})")
    return geom
