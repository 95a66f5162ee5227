"""One record per package, however many metadata files it holds.

Each metadata file becomes a :class:`Scene` (what that file says about its image). The product
takes its acquisition time, view and sun angles and identifiers from the leading scene (the
multispectral one), and combines the rest: the widest time span, the finest ground sample
distance, the cloudiest estimate (a user filtering on cloud must not be shown a cloudy part) and
the union of the footprints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Polygon

from eonode.errors import InvalidMetadata
from eonode.ingest.readers._common import midpoint


@dataclass(slots=True)
class Scene:
    """The facts one metadata file gives about its image (times are aware UTC datetimes)."""

    path: str  # the metadata member
    part: str | None  # MSS1, PAN, PMS, BWDMUX... None for a whole-scene file
    footprint: Polygon
    center: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    gsd: float | None = None
    cloud: float | None = None
    level: str | None = None
    bands: tuple[str, ...] = ()
    produced: datetime | None = None
    off_nadir: float | None = None
    incidence: float | None = None
    view_azimuth: float | None = None
    sun_azimuth: float | None = None
    sun_elevation: float | None = None
    product_id: str | None = None
    scene_id: str | None = None
    orbit: int | None = None
    orbit_state: str | None = None
    station: str | None = None


def scene_properties(scenes: Sequence[Scene], where: str) -> dict[str, Any]:
    """STAC properties shared by the optical families; ``scenes[0]`` leads."""
    lead = scenes[0]
    times = [t for s in scenes for t in (s.start, s.center, s.end) if t is not None]
    if not times:
        raise InvalidMetadata(f"{where}: the metadata gives no acquisition time")
    start, end = min(times), max(times)
    center = lead.center or midpoint(lead.start, lead.end) or midpoint(start, end)
    clouds = [s.cloud for s in scenes if s.cloud is not None]
    gsds = [s.gsd for s in scenes if s.gsd is not None and s.gsd > 0]
    return {
        "datetime": center,
        "start_datetime": start if start < end else None,
        "end_datetime": end if start < end else None,
        "gsd": min(gsds) if gsds else None,
        "eo:cloud_cover": max(clouds) if clouds else None,
        "view:off_nadir": lead.off_nadir,
        "view:incidence_angle": lead.incidence,
        "view:azimuth": lead.view_azimuth,
        "view:sun_azimuth": lead.sun_azimuth,
        "view:sun_elevation": lead.sun_elevation,
        "processing:level": lead.level,
        "processing:datetime": lead.produced,
        "sat:absolute_orbit": lead.orbit,
        "sat:orbit_state": lead.orbit_state,
        "eonode:product_id": lead.product_id,
        "eonode:scene_id": lead.scene_id,
        "eonode:receiving_station": lead.station,
    }
