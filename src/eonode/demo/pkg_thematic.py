"""Thematic Level-2 products in eonode's own format (the readers implement exactly this).

Name: ``<SAT>_<SENSOR>_<THEMETOKEN>_<LEVEL>_<START YYYYMMDD>[_<END YYYYMMDD>][_<AREA>]``.
Files: ``<name>.tif`` (COG, EPSG:4326) or ``<name>.nc`` (NetCDF-4), ``<name>.json`` (the sidecar),
and optionally ``<name>.jpg`` / ``<name>_thumb.jpg``.

Levels as used here: L2A = one scene or granule (start only in the name; the sidecar's start/end
are the acquisition times), L2B = a daily product (start only; the day 00:00:00–23:59:59 UTC),
L2C = a composite over a period (start and end in the name). Without AREA an ocean product covers
the China seas (105–131°E, 3–41°N) and a land product China. The theme is index % 10 (the order of
:data:`THEMES`); ocean themes are NetCDF for even rounds (index // 10) and COG otherwise.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.synthetic import LAND

AREAS: dict[str, tuple[float, float, float, float]] = {
    "CN": (73.5, 18.0, 135.0, 53.5),
    "NCP": (112.0, 32.0, 122.5, 40.5),
    "NEC": (118.5, 38.5, 135.0, 53.5),
    "SWC": (97.0, 21.0, 110.0, 34.0),
    "XJ": (73.5, 34.0, 96.5, 49.0),
    "CSEAS": (105.0, 3.0, 131.0, 41.0),
    "ECS": (117.0, 23.0, 131.0, 33.0),
    "YS": (117.5, 31.0, 127.0, 41.0),
    "SCS": (105.0, 3.0, 121.0, 23.0),
    "NWP": (125.0, 10.0, 160.0, 40.0),
}
LAND_AREAS = ("NCP", "NEC", "SWC", "XJ")
SEA_AREAS = ("ECS", "YS", "SCS", "NWP")
# (name token, satellite id, sensor token, sensor id)
HY_COCTS = (("HY1C", "hy-1c", "COCTS", "cocts"), ("HY1D", "hy-1d", "COCTS", "cocts"))
HY_CZI = (("HY1C", "hy-1c", "CZI", "czi"), ("HY1D", "hy-1d", "CZI", "czi"))
GF_WFV = (("GF1", "gf-1", "WFV", "wfv"), ("GF6", "gf-6", "WFV", "wfv"))


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    token: str
    ocean: bool
    sources: tuple[tuple[str, str, str, str], ...]
    level: str
    span: str  # scene | day | month | year
    variable: str
    unit: str
    dtype: str
    nodata: float
    resolution_m: float
    algorithm: str
    title: str
    values: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (texture, lat, lon) → values
    scale: float | None = None


def _classes(codes: tuple[int, ...]) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    def make(t: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        del lat, lon
        edges = np.quantile(t, np.linspace(0, 1, len(codes) + 1)[1:-1])
        out: np.ndarray = np.asarray(codes, np.uint8)[np.digitize(t, edges)]
        return out

    return make


THEMES = (
    Theme(
        "sst",
        "SST",
        True,
        HY_COCTS,
        "L2B",
        "day",
        "sst",
        "degC",
        "int16",
        -32768,
        1100,
        "split-window NLSST",
        "Sea surface temperature",
        lambda t, lat, lon: np.clip(29.0 - 0.5 * np.maximum(lat - 8.0, 0) + 1.5 * t, -1.8, 32.0),
        scale=0.01,
    ),
    Theme(
        "chlorophyll",
        "CHL",
        True,
        HY_COCTS,
        "L2B",
        "day",
        "chlor_a",
        "mg m-3",
        "float32",
        -999.0,
        1100,
        "OC4-type blue/green band ratio",
        "Chlorophyll-a concentration",
        lambda t, lat, lon: 10.0 ** np.clip(-0.9 + 0.6 * t + 0.05 * np.maximum(125.0 - lon, 0), -1.7, 1.5),
    ),
    Theme(
        "land-cover",
        "LC",
        False,
        GF_WFV,
        "L2C",
        "year",
        "land_cover",
        "class",
        "uint8",
        0,
        16,
        "random forest on annual WFV composites",
        "Land cover",
        _classes((10, 20, 30, 40, 50, 60, 80, 90)),
    ),
    Theme(
        "cropping-index",
        "CI",
        False,
        GF_WFV,
        "L2C",
        "year",
        "cropping_index",
        "harvests per year",
        "uint8",
        255,
        16,
        "NDVI time-series peak counting",
        "Cropping index",
        _classes((0, 1, 1, 2, 2, 3)),
    ),
    Theme(
        "par",
        "PAR",
        True,
        HY_COCTS,
        "L2B",
        "day",
        "par",
        "E m-2 d-1",
        "float32",
        -999.0,
        1100,
        "clear-sky irradiance with cloud albedo",
        "Photosynthetically available radiation",
        lambda t, lat, lon: np.clip(48.0 - 0.45 * np.abs(lat) + 6.0 * t, 5.0, 65.0),
    ),
    Theme(
        "transparency",
        "SDD",
        True,
        HY_CZI,
        "L2A",
        "scene",
        "sdd",
        "m",
        "float32",
        -999.0,
        50,
        "semi-analytical Secchi depth",
        "Seawater transparency (Secchi disk depth)",
        lambda t, lat, lon: np.clip(8.0 + 6.0 * t - 0.2 * np.maximum(123.0 - lon, 0), 0.2, 30.0),
    ),
    Theme(
        "ocean-npp",
        "ONPP",
        True,
        HY_COCTS,
        "L2C",
        "month",
        "npp",
        "mg C m-2 d-1",
        "float32",
        -999.0,
        4000,
        "VGPM",
        "Ocean net primary productivity",
        lambda t, lat, lon: np.clip(600.0 + 350.0 * t + 8.0 * np.maximum(125.0 - lon, 0), 80.0, 3000.0),
    ),
    Theme(
        "land-use",
        "LU",
        False,
        GF_WFV,
        "L2C",
        "year",
        "land_use",
        "class",
        "uint8",
        0,
        16,
        "object-based classification",
        "Land use",
        _classes((11, 12, 21, 22, 31, 41, 51, 52, 61)),
    ),
    Theme(
        "forest-biomass",
        "AGB",
        False,
        GF_WFV,
        "L2C",
        "year",
        "agb",
        "Mg ha-1",
        "float32",
        -999.0,
        30,
        "random forest regression on WFV and SAR features",
        "Forest above-ground biomass",
        lambda t, lat, lon: np.clip(90.0 + 70.0 * t, 0.0, 320.0),
    ),
    Theme(
        "grassland-npp",
        "GNPP",
        False,
        GF_WFV,
        "L2C",
        "year",
        "npp",
        "g C m-2 yr-1",
        "float32",
        -999.0,
        16,
        "CASA light-use efficiency",
        "Grassland net primary productivity",
        lambda t, lat, lon: np.clip(260.0 + 150.0 * t - 3.0 * np.maximum(lat - 40.0, 0), 20.0, 900.0),
    ),
)
THEME_IDS = tuple(t.id for t in THEMES)


def _period(theme: Theme, rnd: int, ctx: Ctx) -> tuple[datetime, datetime, str]:
    """(start, end, date tokens of the name) — distinct for every round of the same theme."""
    rng = ctx.rng("period")
    if theme.span == "year":
        year = 2016 + rnd % 9
        return (
            datetime(year, 1, 1, tzinfo=UTC),
            datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC),
            f"{year}0101_{year}1231",
        )
    if theme.span == "month":
        year, mon = 2021 + rnd // 12, rnd % 12 + 1
        last = calendar.monthrange(year, mon)[1]
        return (
            datetime(year, mon, 1, tzinfo=UTC),
            datetime(year, mon, last, 23, 59, 59, tzinfo=UTC),
            f"{year}{mon:02d}01_{year}{mon:02d}{last:02d}",
        )
    day = date(2021, 1, 1) + timedelta(days=rnd * 37 + rng.randrange(30))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if theme.span == "scene":
        start += timedelta(hours=2, minutes=rng.randrange(120), seconds=rng.randrange(60))
        return start, start + timedelta(seconds=62), f"{day:%Y%m%d}"
    return start, start + timedelta(hours=23, minutes=59, seconds=59), f"{day:%Y%m%d}"


def _area(theme: Theme, rnd: int) -> str | None:
    if theme.span == "year":
        return "CN" if rnd < 9 else LAND_AREAS[(rnd // 9 - 1) % len(LAND_AREAS)]
    if theme.span == "day" and rnd % 3 == 0:
        return None
    return SEA_AREAS[rnd % len(SEA_AREAS)] if theme.ocean else "CN"


def _colour(values: np.ndarray, valid: np.ndarray, size: int) -> np.ndarray:
    """A blue → yellow → red rendering (grey no-data) resized to about ``size`` on the long side."""
    v = values.astype(np.float64)
    lo, hi = np.percentile(v[valid], (2, 98)) if valid.any() else (0.0, 1.0)
    x = np.clip((v - lo) / max(hi - lo, 1e-9), 0, 1)
    rgb = np.stack([np.interp(x, [0, 0.5, 1], s) for s in ([40, 250, 200], [70, 220, 30], [200, 60, 30])])
    rgb[:, ~valid] = 128
    return raster.resize(rgb.astype(np.uint8), size)


def thematic(ctx: Ctx) -> Built:
    theme = THEMES[ctx.index % len(THEMES)]
    rnd = ctx.index // len(THEMES)
    sat_token, sat_id, sensor_token, sensor_id = theme.sources[rnd % len(theme.sources)]
    start, end, dates = _period(theme, rnd, ctx)
    area = _area(theme, rnd)
    bbox = AREAS[area or ("CSEAS" if theme.ocean else "CN")]
    name = f"{sat_token}_{sensor_token}_{theme.token}_{theme.level}_{dates}" + (f"_{area}" if area else "")
    built = Built(name, end + timedelta(days=2, hours=3))
    width = 128
    height = max(32, round(width * (bbox[3] - bbox[1]) / (bbox[2] - bbox[0])))
    texture = raster.field(ctx.nprng("texture"), height, width, 7, 6.0)
    lat = np.linspace(bbox[3], bbox[1], height)[:, None] * np.ones((1, width))
    lon = np.linspace(bbox[0], bbox[2], width)[None, :] * np.ones((height, 1))
    physical = theme.values(texture, lat, lon)
    valid = np.ones((height, width), bool)
    if theme.ocean:  # land (the demo's land boxes, with a wavy coast) has no data in ocean products
        wobble = 0.4 * np.sin(lat * 3.0)
        for x1, y1, x2, y2, _ in LAND:
            valid &= ~((lon >= x1 + wobble) & (lon <= x2 + wobble) & (lat >= y1) & (lat <= y2))
    stored = np.round(physical / theme.scale).astype(theme.dtype) if theme.scale else physical.astype(theme.dtype)
    stored[~valid] = theme.nodata
    band = {"long_name": theme.title, "units": theme.unit}
    kw: dict[str, Any] = {"nodata": theme.nodata, "scale": theme.scale, "offset": 0.0 if theme.scale else None}
    if theme.ocean and rnd % 2 == 0:
        band["NETCDF_VARNAME"] = theme.variable
        tags = {"title": theme.title, "product_name": name, "theme": theme.id}
        built.add(f"{name}.nc", raster.netcdf4(stored[None], bbox, ctx.scratch, tags=tags, band_tags=[band], **kw))
    else:
        built.add(f"{name}.tif", raster.cog(stored[None], bbox, ctx.scratch, band_tags=[band], **kw))
    doc: dict[str, Any] = {
        "theme": theme.id,
        "satellite": sat_id,
        "sensor": sensor_id,
        "level": theme.level,
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bbox": list(bbox),
        "product": name,
        "variable": theme.variable,
        "unit": theme.unit,
        "scale_factor": theme.scale if theme.scale else 1.0,
        "add_offset": 0.0,
        "nodata": theme.nodata,
        "resolution_m": theme.resolution_m,
        "producer": "NSOAS" if theme.ocean else "CRESDA",
        "algorithm": theme.algorithm,
        "version": "1.0",
        "title": f"{theme.title}, {sat_token} {sensor_token}, {dates.replace('_', ' to ')}",
    }
    built.add(f"{name}.json", orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    if ctx.quicklooks:
        big = _colour(physical, valid, 256)
        small = _colour(physical, valid, 64)
        built.add(f"{name}.jpg", raster.jpeg(big, bbox), quicklook=True)
        built.add(f"{name}_thumb.jpg", raster.jpeg(small, bbox), quicklook=True)
    return built
