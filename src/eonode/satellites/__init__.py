"""The satellite registry: facts about satellites, their sensors and bands, shipped as data
(``satellites.json``), and the STAC collections built from them.

A product's collection is one satellite + one sensor + one processing level (``gf1-pms-l1a``);
thematic Level-2 products go by theme + satellite + sensor (``sst-hy1c-cocts``). Collections carry
the registry's facts: summaries (platform, instruments, gsd, eo:bands, sar:*, levels), providers, and
``eonode:satellite`` / ``eonode:sensor`` objects (series, orbit, launch date, payloads, mission) for
the portal.

``satellites.json`` is checked when first read (see :mod:`eonode.satellites.loading`); a broken file
raises an :class:`~eonode.errors.EonodeError` naming the faulty field.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING, Any

from eonode.errors import UnknownProduct
from eonode.satellites.loading import Registry, parse_registry
from eonode.satellites.model import (
    SERIES,
    Band,
    BandGroup,
    Orbit,
    Provider,
    Sar,
    SarMode,
    Satellite,
    Sensor,
    Theme,
    ThemeSource,
)

if TYPE_CHECKING:
    from eonode.ingest.model import CollectionRef

__all__ = [
    "SERIES",
    "THEMATIC_LEVELS",
    "Band",
    "BandGroup",
    "Orbit",
    "Provider",
    "Sar",
    "SarMode",
    "Satellite",
    "Sensor",
    "Theme",
    "ThemeSource",
    "collection_document",
    "collection_id",
    "collection_refs",
    "eo_bands",
    "registry",
    "satellite",
    "satellites",
    "satellites_by_series",
    "thematic_refs",
    "theme",
    "themes",
]

THEMATIC_LEVELS = ("L2A", "L2B", "L2C")


@functools.cache
def registry() -> Registry:
    """The registry shipped with eonode (read and checked once)."""
    text = resources.files("eonode.satellites").joinpath("satellites.json").read_text("utf-8")
    return parse_registry(text, "eonode/satellites/satellites.json")


def satellites() -> tuple[Satellite, ...]:
    return registry().satellites


def satellites_by_series() -> dict[str, tuple[Satellite, ...]]:
    """Satellites grouped by series, in the order of :data:`SERIES` (for the portal's satellite pages)."""
    return {series: tuple(s for s in satellites() if s.series == series) for series in SERIES}


def themes() -> tuple[Theme, ...]:
    return registry().themes


def theme(theme_id: str) -> Theme:
    """By theme id ("sst") or product-name token ("SST"), any case."""
    return registry().theme(theme_id)


def satellite(key: str) -> Satellite:
    """By registry id ("gf-1"), product-name code ("GF1") or alias ("CBERS04", "CBERS_4A"), any case."""
    return registry().satellite(key)


def eo_bands(
    platform: str, sensor_id: str, band_ids: list[str] | None = None, *, part: str | None = None
) -> list[dict[str, Any]]:
    """STAC eo:bands entries for these band ids (all of the sensor's optical bands when None).

    ``sensor_id`` is a sensor id, a camera code or the name of a product part that bands belong to
    (GF-4 ``PMS``/``IRS``, GF-7 ``BWDMUX``/``BWDPAN``/``FWDPAN``); a part (given here or as ``part``)
    limits the bands to that part. This matters where the same band id means different bands in
    different parts: GF-4 PMS numbers its bands 1-5 and IRS its one band 1, so
    ``eo_bands("gf-4", "IRS", ["1"])`` is the mid-wave infrared band while ``eo_bands("gf-4", "pmi",
    ["1"])`` is the first band with id 1, the panchromatic one. Ids that the sensor lacks are left out,
    and so are bands without a wavelength (radar polarisations, microwave channels).
    """
    sat = satellite(platform)
    key = sensor_id.strip().upper()
    try:
        sensor = sat.sensor(key)
    except UnknownProduct:
        holder = next((s for s in sat.sensors if key in {b.part for b in s.bands}), None)
        if holder is None:
            raise
        sensor = holder
    if part is None and key in {b.part for b in sensor.bands}:
        part = key
    pool = [b for b in sensor.bands if b.optical and (part is None or b.part in (None, part.upper()))]
    if band_ids is None:
        return [b.eo_band() for b in pool]
    chosen: list[Band] = []
    for want in band_ids:
        match = next((b for b in pool if b.id == str(want).strip()), None)
        if match is not None and match not in chosen:
            chosen.append(match)
    return [b.eo_band() for b in chosen]


def collection_id(ref: CollectionRef) -> str:
    """``gf1-pms-l1a`` for a satellite + sensor + level, ``sst-hy1c-cocts`` for a thematic product.

    The sensor may be given by camera code and the theme by token; the id uses the registry ids.
    """
    sat = satellite(ref.platform)
    code = sat.id.replace("-", "")
    sensor = sat.sensor(ref.sensor).id
    if ref.theme:
        return f"{theme(ref.theme).id}-{code}-{sensor}"
    return f"{code}-{sensor}-{ref.level}".lower()


def collection_document(ref: CollectionRef, *, extensions: bool = True) -> dict[str, Any]:
    """The STAC Collection for a satellite + sensor + level (or theme).

    ``extensions=False`` leaves ``stac_extensions`` empty, for validators that can only resolve the
    core STAC schemas offline."""
    from eonode.satellites.collections import document

    return document(ref, extensions=extensions)


def collection_refs() -> list[CollectionRef]:
    """Every satellite + sensor + level collection the registry knows of."""
    from eonode.ingest.model import CollectionRef

    return [CollectionRef(sat.id, s.id, level) for sat in satellites() for s in sat.sensors for level in s.levels]


def thematic_refs() -> list[CollectionRef]:
    """Every theme + satellite + sensor collection of the themes' usual sources."""
    from eonode.ingest.model import CollectionRef

    level = THEMATIC_LEVELS[0]
    return [CollectionRef(src.satellite, src.sensor, level, theme=t.id) for t in themes() for src in t.sources]
