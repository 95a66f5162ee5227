"""What every CRESDA optical package shares: one acquisition ("shot") and its per-image file sets.

A file set is ``<stem>.tiff`` + ``<stem>.xml`` + ``<stem>.rpb`` (+ ``<stem>.jpg`` and
``<stem>_thumb.jpg``), the sibling rule of product-formats.md §2.2/§3. The XML describes the real
product (nominal pixel counts such as 7300 × 6908); the GeoTIFF is a small stand-in covering the
footprint's bounding box in EPSG:4326, and its RPB is fitted to that small raster.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_cresda import Meta, product_xml
from eonode.demo.pkg_geo import (
    Footprint,
    cloud_percent,
    day_between,
    hemi_lat,
    hemi_lon,
    land_point,
    quad,
    solar_time,
    sun_angles,
    track_heading,
)
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_rpc import fit, rpb_text
from eonode.demo.synthetic import END

STATIONS = ("MYN", "KAS", "SYA", "KRN", "JMS")
BGRN = ("blue", "green", "red", "nir")
BROWSE_SIDE = 256
THUMB_SIDE = 64


@dataclass(frozen=True, slots=True)
class Shot:
    """One acquisition: where, when, and the counters CRESDA gives it."""

    footprint: Footprint
    start: datetime
    centre: datetime
    end: datetime
    produced: datetime
    cloud: int
    orbit: int
    scene_id: int
    product_id: int
    strip: int
    path: int
    row: int
    roll: float
    station: str

    def name(self, sat: str, sensor: str, level: str, pid: str | None = None) -> str:
        lon, lat = self.footprint.centre
        ident = pid if pid is not None else f"{self.product_id:010d}"
        return f"{sat}_{sensor}_{hemi_lon(lon)}_{hemi_lat(lat)}_{self.centre:%Y%m%d}_{level}{ident}"


@dataclass(frozen=True, slots=True)
class Part:
    """One image file set of a package."""

    stem: str
    kinds: tuple[str, ...]  # band kinds (see pkg_raster.PROFILES): the band count
    bands: str  # the XML Bands value
    gsd: float
    width: int  # nominal pixel counts, as the XML states them
    height: int
    side: int = 128  # long side of the synthetic raster
    ext: str = ".tiff"
    quicklooks: bool = True
    pan: bool = False


def plan(
    ctx: Ctx,
    *,
    launch: date,
    width_km: float,
    height_km: float,
    id_base: int,
    first: date | None = None,
    last: date = END,
    roll_sd: float = 2.0,
    orbits_per_day: float = 14.8,
    local_hours: float = 10.5,
    china_only: bool = False,
    seconds: float | None = None,
) -> Shot:
    """A sun-synchronous acquisition over land: about half in China, near 10:30 local solar time."""
    rng = ctx.rng("shot")
    lon, lat = land_point(rng, china_only=china_only)
    day = day_between(rng, first or launch, last)
    centre = solar_time(day, lon, local_hours, rng).replace(microsecond=0)
    duration = seconds if seconds is not None else height_km / 6.8
    roll = rng.gauss(0.0, roll_sd)
    fp = quad(lon, lat, width_km, height_km, track_heading(lat, rng))
    orbit = int((day - launch).days * orbits_per_day) + rng.randrange(15)
    product_id = id_base + ctx.index * 1000 + rng.randrange(1000)
    return Shot(
        footprint=fp,
        start=centre - timedelta(seconds=duration / 2.0 + rng.uniform(0.0, 0.8)),
        centre=centre,
        end=centre + timedelta(seconds=duration / 2.0 + rng.uniform(0.0, 0.8)),
        produced=centre + timedelta(hours=rng.uniform(3.0, 80.0)),
        cloud=cloud_percent(rng),
        orbit=orbit,
        scene_id=int(product_id * 1.6) % 90_000_000 + 1_000_000,
        product_id=product_id,
        strip=rng.randrange(100_000, 999_999),
        path=rng.randrange(1, 1000),
        row=rng.randrange(1, 400),
        roll=roll,
        station=rng.choice(STATIONS),
    )


def meta(shot: Shot, part: Part, satellite: str, sensor: str, rng: random.Random, **overrides: object) -> Meta:
    """The ``ProductMetaData`` values of one part (angles from the sun and the side-look)."""
    lon, lat = shot.footprint.centre
    zenith, azimuth = sun_angles(shot.centre, lat, lon)
    speed = 7.0 if part.gsd > 1.5 else 6.75
    n = len(part.kinds)
    base = Meta(
        satellite=satellite,
        sensor=sensor,
        station=shot.station,
        orbit=shot.orbit,
        strip=shot.strip,
        scene_id=shot.scene_id,
        product_id=shot.product_id,
        level="LEVEL1A",
        produced=shot.produced + timedelta(seconds=rng.randrange(30, 900)),
        bands=part.bands,
        path=shot.path,
        row=shot.row,
        sat_path=shot.path,
        sat_row=shot.row,
        start=shot.start,
        centre=shot.centre,
        end=shot.end,
        gsd=part.gsd,
        width=part.width,
        height=part.height,
        cloud=shot.cloud,
        roll_sat=shot.roll + rng.gauss(0.0, 0.001),
        pitch_sat=rng.gauss(0.0, 0.01),
        yaw_sat=rng.uniform(2.9, 3.9),
        sun_azimuth=azimuth,
        sun_zenith=zenith,
        sat_azimuth=(rng.uniform(275.0, 300.0) if shot.roll >= 0 else rng.uniform(85.0, 110.0)),
        sat_zenith=90.0 - abs(shot.roll) * 1.05 - rng.uniform(0.5, 4.0),
        integration_time=part.gsd / 1000.0 / speed * rng.uniform(0.99, 1.01),
        gain_mode=",".join(rng.choice(("G0", "G1", "G2", "G4")) for _ in range(n)),
        integration_level=",".join(rng.choice(("S2", "S3", "S4", "S5")) for _ in range(n)),
        footprint=shot.footprint,
        pan=part.pan,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def dims(part: Part) -> tuple[int, int]:
    """(width, height) of the synthetic raster: the nominal aspect with the long side ``part.side``."""
    scale = part.side / max(part.width, part.height)
    return max(8, round(part.width * scale)), max(8, round(part.height * scale))


def image_files(ctx: Ctx, built: Built, part: Part, fp: Footprint, cloud: int, *, dem: bool = False) -> None:
    """The raster, its RPB and (if asked) browse + thumbnail of one part."""
    width, height = dims(part)
    arr = raster.scene(ctx.nprng(part.stem[-12:]), list(part.kinds), height, width, cloud)
    built.add(part.stem + part.ext, raster.geotiff(arr, fp.bbox))
    rpc = fit(fp, width, height, ctx.rng("rpc" + part.stem[-12:]), dem=dem)
    built.add(part.stem + ".rpb", rpb_text(rpc))
    if ctx.quicklooks and part.quicklooks:
        browse(built, part.stem, arr, fp, part.kinds)


def rgb_of(kinds: tuple[str, ...]) -> tuple[int, int, int] | None:
    """Band indexes for a true-colour browse, or None for a grey one."""
    if all(k in kinds for k in ("red", "green", "blue")):
        return (kinds.index("red"), kinds.index("green"), kinds.index("blue"))
    return None


def quicklooks(arr: np.ndarray, fp: Footprint, kinds: tuple[str, ...]) -> tuple[bytes, bytes]:
    """(browse, thumbnail) JPEG bytes: ~256 px and ~64 px, true colour when the bands allow."""
    rgb = rgb_of(kinds)
    return (
        raster.jpeg(raster.quicklook(arr, BROWSE_SIDE, rgb), fp.bbox),
        raster.jpeg(raster.quicklook(arr, THUMB_SIDE, rgb), fp.bbox),
    )


def browse(built: Built, stem: str, arr: np.ndarray, fp: Footprint, kinds: tuple[str, ...]) -> None:
    """``<stem>.jpg`` and ``<stem>_thumb.jpg``."""
    big, small = quicklooks(arr, fp, kinds)
    built.add(stem + ".jpg", big, quicklook=True)
    built.add(stem + "_thumb.jpg", small, quicklook=True)


def file_set(ctx: Ctx, built: Built, part: Part, m: Meta, style: str) -> bytes:
    """Image + RPB (+ quicklooks) + XML for one part; returns the XML bytes."""
    image_files(ctx, built, part, m.footprint, m.cloud, dem=style == "gf4")
    xml = product_xml(m, style)
    built.add(part.stem + ".xml", xml)
    return xml


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def across(fp: Footprint, k: int, n: int) -> Footprint:
    """The k-th of n across-track slices of a footprint (GF-6 WFV tiles)."""
    tl, tr, br, bl = fp.corners

    def lerp(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
        return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)

    t0, t1 = k / n, (k + 1) / n
    return Footprint((lerp(tl, tr, t0), lerp(tl, tr, t1), lerp(bl, br, t1), lerp(bl, br, t0)))


def km(gsd: float, pixels: int) -> float:
    return gsd * pixels / 1000.0
