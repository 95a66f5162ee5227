"""What every reader shares: vendor times, value rules, footprints and the STAC item skeleton.

Readers differ in where they find a value, not in what the value means once found: a cloud cover
of 101 is unknown whichever satellite wrote it, a Beijing time is converted the same way, and a
footprint is always a counter-clockwise polygon. Those rules live here, once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import orjson
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient

from eonode import STAC_VERSION
from eonode.errors import InvalidMetadata
from eonode.ingest.model import AssetSpec, CollectionRef
from eonode.models.extensions import EXTENSIONS
from eonode.models.temporal import format_instant
from eonode.satellites import collection_id, eo_bands, satellite

BEIJING = timezone(timedelta(hours=8), "BJT")  # CRESDA XML times (product-formats §4.9 quirk 1)


# -- times ----------------------------------------------------------------------------------------
_TIME = re.compile(
    r"^(?P<y>\d{4})-?(?P<mo>\d{2})-?(?P<d>\d{2})"
    r"(?:[ Tt_]?(?P<h>\d{2}):?(?P<mi>\d{2}):?(?P<s>\d{2})(?:\.(?P<frac>\d+))?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)


def parse_time(text: str | None, tz: tzinfo, where: str, field: str) -> datetime | None:
    """A vendor time ("2022-06-24 13:39:09", "20200728114926.25", ISO 8601...) as an aware UTC datetime.

    ``tz`` is the zone the vendor wrote in when the text names none (Beijing for CRESDA, UTC for
    GF-3, INPE and HY). A date alone means its midnight.
    """
    if text is None:
        return None
    m = _TIME.match(text.strip())
    if m is None:
        raise InvalidMetadata(f"{where}: {field} = {text!r} is not a date-time")
    zone = tz
    if m["tz"] and m["tz"] not in ("Z", "z"):
        sign = 1 if m["tz"][0] == "+" else -1
        digits = m["tz"][1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    elif m["tz"]:
        zone = UTC
    micro = int((m["frac"] or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(
            int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0), micro, zone
        )
    except ValueError as exc:
        raise InvalidMetadata(f"{where}: {field} = {text!r} is not a valid date-time ({exc})") from None
    return value.astimezone(UTC)


def midpoint(start: datetime | None, end: datetime | None) -> datetime | None:
    if start is None or end is None:
        return start or end
    return start + (end - start) / 2


# -- values ---------------------------------------------------------------------------------------
def cloud_cover(value: float | None) -> float | None:
    """Percent cloud, or None when the vendor says it is unknown (101, negative, missing)."""
    if value is None or value < 0 or value > 100:
        return None
    return value


_LEVEL = re.compile(r"^(?:LEVEL|L)?[-_ ]?(?P<level>\d[A-Z]?)$", re.IGNORECASE)


def processing_level(text: str | None) -> str | None:
    """``LEVEL1A``, ``L1A``, ``1A`` → ``L1A``; ``2`` → ``L2``; anything else is kept as written."""
    if text is None:
        return None
    m = _LEVEL.match(text.strip())
    return f"L{m['level'].upper()}" if m else text.strip().upper()


def bounded(value: float | None, low: float, high: float) -> float | None:
    """The value if it lies in [low, high] (vendors write out-of-range sentinels), else None."""
    return value if value is not None and low <= value <= high else None


def azimuth(value: float | None) -> float | None:
    return None if value is None else value % 360.0


def off_nadir(roll: float | None, pitch: float | None) -> float | None:
    """The angle between nadir and the line of sight of a platform rolled and pitched by these angles."""
    if roll is None and pitch is None:
        return None
    tr, tp = math.tan(math.radians(roll or 0.0)), math.tan(math.radians(pitch or 0.0))
    return bounded(math.degrees(math.atan(math.hypot(tr, tp))), 0.0, 90.0)


# -- footprints -----------------------------------------------------------------------------------
def quad(corners: Sequence[tuple[float, float]], where: str) -> Polygon:
    """A polygon through image corners (lon, lat) given clockwise or not, in any starting corner.

    A scene that straddles the antimeridian continues east past 180° here; :func:`geometry`
    splits it back into two parts.
    """
    for lon, lat in corners:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InvalidMetadata(f"{where}: corner ({lon}, {lat}) is not a longitude/latitude pair")
    lons = [lon for lon, _ in corners]
    if max(lons) - min(lons) > 180.0:
        corners = [(lon + 360.0 if lon < 0 else lon, lat) for lon, lat in corners]
    poly = Polygon(corners)
    if not poly.is_valid:  # corners listed in a crossing order: their hull is the footprint
        hull = MultiPoint(corners).convex_hull
        if not isinstance(hull, Polygon):
            raise InvalidMetadata(f"{where}: the corner coordinates do not enclose an area")
        poly = hull
    if poly.area == 0:
        raise InvalidMetadata(f"{where}: the corner coordinates do not enclose an area")
    return orient(poly, sign=1.0)


def geometry(shapes: Sequence[Polygon]) -> dict[str, Any]:
    """GeoJSON of a product's footprint: one counter-clockwise Polygon (split at the antimeridian).

    Several parts (MSS and PAN, PMS and IRS, forward and backward views) cover nearly the same
    ground with slightly different corners; the hull of all their corners covers them all without
    the slivers a plain union leaves."""
    merged = shapes[0] if len(shapes) == 1 else shapely.union_all(list(shapes)).convex_hull
    merged = orient(merged, sign=1.0)
    if merged.bounds[2] > 180.0:
        west = merged.intersection(box(-180.0, -90.0, 180.0, 90.0))
        east = affinity.translate(merged.intersection(box(180.0, -90.0, 540.0, 90.0)), xoff=-360.0)
        parts = [orient(p, sign=1.0) for g in (west, east) for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon)]
        merged = MultiPolygon(parts)
    result: dict[str, Any] = orjson.loads(shapely.to_geojson(merged))
    return result


# -- the item ---------------------------------------------------------------------------------------
def stac_item(
    item_id: str, ref: CollectionRef, footprint: dict[str, Any], properties: Mapping[str, Any]
) -> dict[str, Any]:
    """A STAC Item without assets and links. None values are left out (unknown is absent, except
    ``datetime``, which STAC wants as null when only an interval is known); datetimes become UTC
    RFC 3339 text; the extensions are those whose fields the properties use."""
    sat = satellite(ref.platform)
    props: dict[str, Any] = {"datetime": None, "platform": sat.id, "constellation": sat.constellation}
    for key, value in properties.items():
        if value is None or (isinstance(value, list | dict) and not value):
            continue
        props[key] = format_instant(value) if isinstance(value, datetime) else value
    used = sorted({key.split(":", 1)[0] for key in props if ":" in key} & EXTENSIONS.keys())
    shape = shapely.geometry.shape(footprint)
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [EXTENSIONS[prefix] for prefix in used],
        "id": item_id,
        "collection": collection_id(ref),
        "bbox": list(shape.bounds),
        "geometry": footprint,
        "properties": props,
    }


def eo_bands_for(
    platform: str, sensor: str, band_ids: Iterable[str], *, part: str | None = None, panchromatic: bool = False
) -> list[dict[str, Any]]:
    """The registry's bands for one image of a product.

    ``part`` (PMS, IRS, BWDPAN, NAD…) narrows the choice when the registry ties bands to parts,
    since band ids repeat across parts. A panchromatic image gets the panchromatic band(s); another
    image the bands its metadata lists when the registry knows them all, else every
    non-panchromatic band (vendors number PAN bands differently: GF-1 ``5``, GF-4 ``1``)."""
    bands = satellite(platform).sensor(sensor).bands
    wanted = part.upper() if part and part.upper() in {b.part for b in bands} else None
    pool = [b for b in bands if wanted is None or b.part in (None, wanted)]
    pan = [b.id for b in pool if b.common_name == "pan"]
    other = [b.id for b in pool if b.common_name != "pan"]
    ids = [i.strip() for i in band_ids if i.strip()]
    if panchromatic and pan:
        chosen = pan
    elif ids and all(i in {b.id for b in pool} for i in ids):
        chosen = ids
    else:
        chosen = other or pan
    return eo_bands(platform, sensor, chosen, part=wanted)


def merge_bands(groups: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for group in groups:
        for band in group:
            seen.setdefault(band["name"], band)
    return list(seen.values())


# -- assets ---------------------------------------------------------------------------------------
_ASSET_KINDS = {
    "metadata": ("application/xml", ("metadata",)),
    "rpc": ("text/plain", ("metadata",)),
    "json": ("application/json", ("metadata",)),
    "browse": ("image/jpeg", ("overview",)),
    "thumbnail": ("image/jpeg", ("thumbnail",)),
    "cog": ("image/tiff; application=geotiff; profile=cloud-optimized", ("data",)),
    "netcdf": ("application/x-netcdf", ("data",)),
}


def asset(key: str, member: str, kind: str, title: str) -> AssetSpec:
    media_type, roles = _ASSET_KINDS[kind]
    return AssetSpec(key=key, member=member, media_type=media_type, roles=roles, title=title)
