"""Where and when a synthetic scene is: centres over land or sea, rotated footprints, orbit times, sun angles.

Real products describe the image corners of the raw, tilted scene (product-formats.md §4.9 item 8), so
a footprint here is a rectangle in kilometres, rotated by the ground-track heading and mapped to
degrees around the centre. Sun-synchronous satellites image near a fixed local solar time; the
centre of a product name is the mean of its corners rounded to one decimal (§1).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from eonode.demo.synthetic import KM_PER_DEG, LAND

BEIJING = timedelta(hours=8)
EARTH_R = 6_378_137.0

# (lon_min, lat_min, lon_max, lat_max, weight): open sea, for ocean-colour granules and ocean themes.
SEA = (
    (122.0, 25.0, 129.0, 32.0, 0.25),  # East China Sea
    (119.5, 33.0, 125.5, 38.5, 0.12),  # Yellow Sea
    (108.0, 6.0, 119.0, 20.0, 0.25),  # South China Sea
    (131.0, 12.0, 160.0, 38.0, 0.18),  # north-west Pacific
    (62.0, -20.0, 92.0, 8.0, 0.12),  # Indian Ocean
    (-40.0, 10.0, -20.0, 35.0, 0.08),  # central Atlantic
)


@dataclass(frozen=True, slots=True)
class Footprint:
    """Image corners (lon, lat) in the order top-left, top-right, bottom-right, bottom-left."""

    corners: tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]

    @property
    def centre(self) -> tuple[float, float]:
        return (sum(c[0] for c in self.corners) / 4.0, sum(c[1] for c in self.corners) / 4.0)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        lons = [c[0] for c in self.corners]
        lats = [c[1] for c in self.corners]
        return (min(lons), min(lats), max(lons), max(lats))

    @property
    def top_left(self) -> tuple[float, float]:
        return self.corners[0]

    @property
    def top_right(self) -> tuple[float, float]:
        return self.corners[1]

    @property
    def bottom_right(self) -> tuple[float, float]:
        return self.corners[2]

    @property
    def bottom_left(self) -> tuple[float, float]:
        return self.corners[3]


def offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point ``east_km``/``north_km`` away on a locally flat Earth (good enough below ~1000 km)."""
    plat = lat + north_km / KM_PER_DEG
    plon = lon + east_km / (KM_PER_DEG * math.cos(math.radians((lat + plat) / 2.0)))
    return (plon, plat)


def quad(lon: float, lat: float, width_km: float, height_km: float, heading: float, *, flip: bool = False) -> Footprint:
    """A width × height rectangle centred on (lon, lat) whose image "down" follows a descending ground track.

    ``heading`` is the clockwise angle (degrees) between south and the along-track direction; real
    descending SSO scenes are rotated ~8–13° (the GF-1 fixture: TL→BL points 12° west of south).
    ``flip`` mirrors the rotation for ascending passes whose products are still delivered north-up.
    """
    a = math.radians(-heading if flip else heading)
    down = (-math.sin(a), -math.cos(a))  # east, north components of the along-track (line) direction
    right = (math.cos(a), -math.sin(a))  # across-track (sample) direction
    hw, hh = width_km / 2.0, height_km / 2.0
    pts = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        e = sx * hw * right[0] + sy * hh * down[0]
        n = sx * hw * right[1] + sy * hh * down[1]
        pts.append(offset(lon, lat, e, n))
    return Footprint((pts[0], pts[1], pts[2], pts[3]))


def track_heading(lat: float, rng: random.Random) -> float:
    """Rotation of an SSO descending scene (inclination ~98°) at this latitude, with a little jitter."""
    base = math.degrees(math.asin(min(0.9, 0.139 / math.cos(math.radians(min(abs(lat), 80.0))))))
    return base + 3.0 + rng.gauss(0.0, 0.6)


def pick_box(rng: random.Random, boxes: tuple[tuple[float, float, float, float, float], ...]) -> tuple[float, float]:
    """A uniform point in one of the weighted boxes."""
    x1, y1, x2, y2, _ = rng.choices(boxes, [b[4] for b in boxes])[0]
    return (rng.uniform(x1, x2), rng.uniform(y1, y2))


def land_point(rng: random.Random, *, china_only: bool = False) -> tuple[float, float]:
    """A scene centre over land: the land boxes of the STAC demo generator (about half of them in China)."""
    boxes = LAND[:6] if china_only else LAND
    return pick_box(rng, boxes)


def sea_point(rng: random.Random) -> tuple[float, float]:
    return pick_box(rng, SEA)


def day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange(max(1, (last - first).days)))


def solar_time(day: date, lon: float, local_hours: float, rng: random.Random, jitter_h: float = 0.15) -> datetime:
    """The UTC instant at which the local *solar* time at ``lon`` is ``local_hours`` on ``day``."""
    hours = local_hours - lon / 15.0 + rng.gauss(0.0, jitter_h)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hours)
    return moment.replace(microsecond=rng.randrange(1_000_000))


def sun_angles(when: datetime, lat: float, lon: float) -> tuple[float, float]:
    """(zenith, azimuth) of the sun in degrees: the low-precision almanac formulas (~0.01° here)."""
    n = when.timestamp() / 86400.0 + 2440587.5 - 2451545.0
    mean_lon = (280.460 + 0.9856474 * n) % 360.0
    g = math.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl_lon = math.radians(mean_lon + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g))
    eps = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(math.cos(eps) * math.sin(ecl_lon), math.cos(ecl_lon))
    dec = math.asin(math.sin(eps) * math.sin(ecl_lon))
    gmst_h = (18.697374558 + 24.06570982441908 * n) % 24.0
    hour_angle = math.radians(gmst_h * 15.0 + lon) - ra
    phi = math.radians(lat)
    cos_z = math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * math.cos(hour_angle)
    zenith = math.degrees(math.acos(max(-1.0, min(1.0, cos_z))))
    azimuth = math.degrees(
        math.atan2(-math.sin(hour_angle), math.tan(dec) * math.cos(phi) - math.sin(phi) * math.cos(hour_angle))
    )
    return (zenith, azimuth % 360.0)


def hemi_lon(lon: float) -> str:
    """``E120.2`` / ``W91.0``: the letter follows the sign of the unrounded value (so ``W0.0`` exists)."""
    return f"{'W' if lon < 0 else 'E'}{abs(lon):.1f}"


def hemi_lat(lat: float) -> str:
    """``N33.3`` / ``S36.7``; a centre just south of the equator is ``S0.0``, never ``N0.0`` (§1)."""
    return f"{'S' if lat < 0 else 'N'}{abs(lat):.1f}"


def cloud_percent(rng: random.Random, *, unknown: float = 0.03, wet: float = 1.0) -> int:
    """Integer cloud cover skewed to clear skies; ``101`` (no assessment, §4.9 item 4) now and then."""
    if rng.random() < unknown:
        return 101
    return min(100, round(rng.betavariate(0.55, 1.9 / wet) * 100))


def bj(moment: datetime) -> str:
    """Beijing wall-clock time as CRESDA writes it: ``YYYY-MM-DD hh:mm:ss`` (UTC+8, no zone suffix)."""
    return (moment.astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def utc(moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return moment.astimezone(UTC).strftime(fmt)


def ecef(lon: float, lat: float, up: float) -> tuple[float, float, float]:
    """Earth-centred coordinates (m) of a point ``up`` metres above a spherical Earth (orbit records)."""
    lo, la = math.radians(lon), math.radians(lat)
    r = EARTH_R + up
    return (r * math.cos(la) * math.cos(lo), r * math.cos(la) * math.sin(lo), r * math.sin(la))


def enu_to_ecef(lon: float, lat: float, east: float, north: float) -> tuple[float, float, float]:
    """A horizontal east/north vector at (lon, lat) in Earth-centred axes (velocities)."""
    lo, la = math.radians(lon), math.radians(lat)
    return (
        -math.sin(lo) * east - math.sin(la) * math.cos(lo) * north,
        math.cos(lo) * east - math.sin(la) * math.sin(lo) * north,
        math.cos(la) * north,
    )
