"""The registry's record types: satellites, their orbits, sensors and bands, and thematic products.

All records are frozen; :mod:`eonode.satellites.loading` builds them from ``satellites.json`` after
checking it, so code that holds one can trust its fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eonode.errors import UnknownProduct

SERIES = ("Gaofen", "Meteorological", "Ocean", "Land")


@dataclass(frozen=True, slots=True)
class Band:
    """One spectral band (optical) or channel (microwave) of a sensor."""

    id: str  # as product metadata numbers it: "1".."4", "5" (PAN), "HH", "18.7V"...
    name: str  # STAC eo:bands name, unique within the sensor: "B1", "PAN", "CH01"
    common_name: str | None  # STAC common name: blue, green, red, nir, pan, ...
    center_wavelength: float | None  # micrometres (optical bands only)
    full_width_half_max: float | None  # micrometres
    gsd: float | None  # metres
    part: str | None = None  # the product part / camera holding this band ("IRS", "BWDPAN", "NAD"); None = all
    description: str | None = None
    frequency_ghz: float | None = None  # microwave channels and radar bands
    polarization: str | None = None  # "HH", "VV", "HV", "VH" for radar and radiometer channels

    @property
    def optical(self) -> bool:
        return self.center_wavelength is not None

    def eo_band(self) -> dict[str, Any]:
        """This band as a STAC ``eo:bands`` entry."""
        entry: dict[str, Any] = {"name": self.name}
        if self.common_name:
            entry["common_name"] = self.common_name
        if self.description:
            entry["description"] = self.description
        if self.center_wavelength is not None:
            entry["center_wavelength"] = self.center_wavelength
        if self.full_width_half_max is not None:
            entry["full_width_half_max"] = self.full_width_half_max
        return entry


@dataclass(frozen=True, slots=True)
class BandGroup:
    """A block of many narrow channels (hyperspectral imagers, sounders) described as a whole."""

    name: str  # "VNIR", "SWIR", "LWIR"
    count: int
    range_um: tuple[float, float]
    gsd: float
    sampling_nm: float | None = None
    sampling_wavenumber: float | None = None  # cm⁻¹


@dataclass(frozen=True, slots=True)
class SarMode:
    """One imaging mode of a SAR; its code is the mode token in product names ("FSI")."""

    code: str
    name: str
    resolution_m: float
    swath_km: float
    incidence_deg: tuple[float, float]
    polarization_mode: str  # single | dual | quad
    polarizations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sar:
    """Radar facts of a SAR sensor (the STAC ``sar:*`` summaries)."""

    frequency_band: str  # "C"
    center_frequency: float  # GHz
    polarizations: tuple[str, ...]
    product_types: dict[str, tuple[str, ...]]  # processing level -> product types, e.g. "L1A" -> ("SLC",)
    modes: tuple[SarMode, ...]


@dataclass(frozen=True, slots=True)
class Sensor:
    id: str  # lower case: "pms", "wfv", "sar", "cocts"
    name: str
    kind: str  # see loading.KINDS: optical | hyperspectral | sar | ocean-colour | scatterometer | ...
    cameras: tuple[str, ...]  # codes in product names: PMS1, PMS2 / WFV1..WFV4 / SAR mode codes / ...
    gsd: float  # best ground sample distance (or footprint / cell size), metres
    swath_km: float | None  # None for nadir-only and staring instruments
    bands: tuple[Band, ...]
    levels: tuple[str, ...]  # processing levels distributed, e.g. ("L1A", "L2A"); empty = none catalogued yet
    description: str
    band_groups: tuple[BandGroup, ...] = ()
    sar: Sar | None = None
    gsd_by_camera: dict[str, float] = field(default_factory=dict)  # where cameras differ: ZY-3 NAD 2.1, FWD 3.5

    @property
    def resolutions(self) -> tuple[float, ...]:
        """Every distinct ground sample distance of the sensor, finest first."""
        found: set[float] = {b.gsd for b in self.bands if b.gsd}
        found.update(g.gsd for g in self.band_groups)
        found.update(self.gsd_by_camera.values())
        if self.sar:
            found.update(m.resolution_m for m in self.sar.modes)
        return tuple(sorted(found or {self.gsd}))


@dataclass(frozen=True, slots=True)
class Orbit:
    type: str  # sun-synchronous | geostationary | non-sun-synchronous
    altitude_km: float | None
    inclination_deg: float | None
    local_time: str | None  # e.g. "10:30 descending"
    revisit_days: float | None
    repeat_cycle_days: float | None = None
    longitude_deg: float | None = None  # geostationary: sub-satellite longitude (east positive)


@dataclass(frozen=True, slots=True)
class Provider:
    """An agency with its STAC provider roles for one satellite's data."""

    name: str  # short name: "CRESDA"
    title: str  # full name
    url: str | None
    roles: tuple[str, ...]  # licensor | producer | processor | host

    def stac(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "description": self.title, "roles": list(self.roles)}
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True, slots=True)
class Satellite:
    id: str  # registry id and STAC platform: "gf-1", "zy-3-02", "cbers-4a"
    code: str  # as product names write it: "GF1", "ZY302", "CB04A"
    aliases: tuple[str, ...]  # other codes met in names/metadata: "CBERS04", "CBERS_4", "H1C"
    name: str  # "GaoFen-1"
    name_zh: str  # "高分一号"
    series: str  # one of SERIES
    constellation: str  # STAC constellation: "gaofen", "ziyuan", "cbers", "haiyang", "fengyun", "cfosat"
    operator: str
    launch: str  # ISO date (UTC)
    status: str  # operational | retired
    orbit: Orbit
    mission: str
    sensors: tuple[Sensor, ...]
    providers: tuple[Provider, ...] = ()

    def sensor(self, sensor_id: str) -> Sensor:
        """A sensor by registry id ("pms") or camera code ("PMS1"), any case."""
        wanted = sensor_id.lower()
        for s in self.sensors:
            if s.id == wanted or wanted in (c.lower() for c in s.cameras):
                return s
        raise UnknownProduct(f"{self.name} has no sensor {sensor_id!r} in the satellite registry")


@dataclass(frozen=True, slots=True)
class ThemeSource:
    """A satellite sensor a thematic product is commonly derived from."""

    satellite: str  # registry id
    sensor: str  # sensor id


@dataclass(frozen=True, slots=True)
class Theme:
    id: str  # "sst", "land-cover"
    token: str  # as thematic product names write it: "SST", "LC"
    title: str
    title_zh: str
    domain: str  # land | ocean
    unit: str | None
    description: str
    sources: tuple[ThemeSource, ...] = ()
