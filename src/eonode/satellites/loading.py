"""Reading ``satellites.json`` into registry records, refusing a file that is broken.

The file is data that people edit by hand, so it is checked field by field when loaded: unknown or
missing fields, wrong types, a series outside :data:`SERIES`, a common name whose wavelength does
not fit, a satellite key (id, code or alias) or camera code used twice, a theme that names an
unknown sensor... each stops loading with an :class:`~eonode.errors.EonodeError` saying where.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from eonode.errors import EonodeError, UnknownProduct
from eonode.satellites.jsonobject import JsonObject, choice, matching
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

KINDS = frozenset(
    {
        "optical",
        "hyperspectral",
        "sar",
        "ocean-colour",
        "scatterometer",
        "altimeter",
        "radiometer",
        "sounder",
        "lidar",
        "lightning",
        "wave-spectrometer",
    }
)
ORBIT_TYPES = frozenset({"sun-synchronous", "geostationary", "non-sun-synchronous"})
STATUSES = frozenset({"operational", "retired"})
DOMAINS = frozenset({"land", "ocean"})
PROVIDER_ROLES = frozenset({"licensor", "producer", "processor", "host"})
POLARIZATIONS = frozenset({"HH", "HV", "VH", "VV"})
# STAC eo extension v1.1.0 common band names and their wavelength ranges (micrometres).
COMMON_NAMES: dict[str, tuple[float, float]] = {
    "coastal": (0.40, 0.45),
    "blue": (0.45, 0.53),
    "green": (0.51, 0.60),
    "red": (0.62, 0.69),
    "yellow": (0.58, 0.62),
    "pan": (0.50, 0.70),
    "rededge": (0.69, 0.79),
    "nir": (0.75, 1.00),
    "nir08": (0.75, 0.90),
    "nir09": (0.85, 1.05),
    "cirrus": (1.35, 1.40),
    "swir16": (1.55, 1.75),
    "swir22": (2.10, 2.30),
    "lwir": (10.5, 12.5),
    "lwir11": (10.5, 11.5),
    "lwir12": (11.5, 12.5),
}
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]*")
_LEVEL = re.compile(r"L[0-9][A-Z]?")


# -- bands and sensors --------------------------------------------------------------------------------
def _band(o: JsonObject) -> Band:
    common = o.opt_text("common_name")
    band = Band(
        id=o.text("id"),
        name=o.text("name"),
        common_name=common,
        center_wavelength=o.opt_number("center_wavelength"),
        full_width_half_max=o.opt_number("full_width_half_max"),
        gsd=o.opt_number("gsd"),
        part=o.opt_text("part"),
        description=o.opt_text("description"),
        frequency_ghz=o.opt_number("frequency_ghz"),
        polarization=o.opt_text("polarization"),
    )
    o.done()
    if common is not None:
        if common not in COMMON_NAMES:
            raise o.fail(f"common_name {common!r} is not a STAC eo common name")
        low, high = COMMON_NAMES[common]
        if band.center_wavelength is None or not low <= band.center_wavelength <= high:
            raise o.fail(
                f"center_wavelength {band.center_wavelength} does not fit common_name {common!r} ({low}–{high} µm)"
            )
    if band.center_wavelength is None and band.frequency_ghz is None:
        raise o.fail("a band needs a center_wavelength (optical) or a frequency_ghz (microwave)")
    for key in ("center_wavelength", "full_width_half_max", "gsd", "frequency_ghz"):
        value = getattr(band, key)
        if value is not None and value <= 0:
            raise o.fail(f"{key!r} must be positive")
    if band.polarization is not None and band.polarization not in POLARIZATIONS:
        raise o.fail(f"polarization {band.polarization!r} is not one of {', '.join(sorted(POLARIZATIONS))}")
    return band


def _band_group(o: JsonObject) -> BandGroup:
    low, high = o.numbers("range_um", 2)
    group = BandGroup(
        name=o.text("name"),
        count=int(o.number("count")),
        range_um=(low, high),
        gsd=o.number("gsd"),
        sampling_nm=o.opt_number("sampling_nm"),
        sampling_wavenumber=o.opt_number("sampling_wavenumber"),
    )
    o.done()
    if not 0 < low < high or group.count < 1:
        raise o.fail("range_um must rise and count must be at least 1")
    return group


def _sar(o: JsonObject, levels: tuple[str, ...]) -> Sar:
    pols = o.texts("polarizations")
    types = o.object("product_types")
    product_types = {}
    for level in list(types.raw):
        if level not in levels:
            raise types.fail(f"level {level!r} is not among the sensor's levels")
        product_types[level] = types.texts(level)
    types.done()
    modes = []
    for m in o.objects("modes"):
        low, high = m.numbers("incidence_deg", 2)
        mode = SarMode(
            code=m.text("code"),
            name=m.text("name"),
            resolution_m=m.number("resolution_m"),
            swath_km=m.number("swath_km"),
            incidence_deg=(low, high),
            polarization_mode=choice(m, "polarization_mode", frozenset({"single", "dual", "quad"})),
            polarizations=m.texts("polarizations"),
        )
        m.done()
        if not set(mode.polarizations) <= set(pols):
            raise m.fail("polarizations must be among the sensor's polarizations")
        modes.append(mode)
    sar = Sar(
        frequency_band=o.text("frequency_band"),
        center_frequency=o.number("center_frequency"),
        polarizations=pols,
        product_types=product_types,
        modes=tuple(modes),
    )
    o.done()
    if not set(pols) <= POLARIZATIONS:
        raise o.fail(f"polarizations must be among {', '.join(sorted(POLARIZATIONS))}")
    return sar


def _sensor(o: JsonObject) -> Sensor:
    levels = o.texts("levels")
    for level in levels:
        if not _LEVEL.fullmatch(level):
            raise o.fail(f"level {level!r} is not a processing level such as L1A or L2")
    sar_obj = o.opt_object("sar")
    by_camera = o.opt_object("gsd_by_camera")
    sensor = Sensor(
        id=matching(o, "id", _ID, "a lower-case id"),
        name=o.text("name"),
        kind=choice(o, "kind", KINDS),
        cameras=o.texts("cameras"),
        gsd=o.number("gsd"),
        swath_km=o.opt_number("swath_km"),
        bands=tuple(_band(b) for b in o.objects("bands")),
        levels=levels,
        description=o.text("description"),
        band_groups=tuple(_band_group(g) for g in o.objects("band_groups", required=False)),
        sar=None if sar_obj is None else _sar(sar_obj, levels),
        gsd_by_camera={} if by_camera is None else _gsd_by_camera(by_camera),
    )
    o.done()
    _check_sensor(o, sensor)
    return sensor


def _gsd_by_camera(o: JsonObject) -> dict[str, float]:
    out = {camera: o.number(camera) for camera in list(o.raw)}
    o.done()
    if not all(v > 0 for v in out.values()):
        raise o.fail("every gsd must be positive")
    return out


def _check_sensor(o: JsonObject, sensor: Sensor) -> None:
    if not sensor.cameras or not all(_CODE.fullmatch(c) for c in sensor.cameras):
        raise o.fail("cameras must list at least one upper-case code")
    if sensor.gsd <= 0 or (sensor.swath_km is not None and sensor.swath_km <= 0):
        raise o.fail("gsd and swath_km must be positive")
    names = [b.name for b in sensor.bands]
    if len(set(names)) != len(names):
        raise o.fail("two bands share a name")
    keys = [(b.id, b.part) for b in sensor.bands]
    if len(set(keys)) != len(keys):
        raise o.fail("two bands share an id within the same part")
    if sensor.kind == "sar" and sensor.sar is None:
        raise o.fail("a sar sensor needs a 'sar' object")
    if not set(sensor.gsd_by_camera) <= set(sensor.cameras):
        raise o.fail("gsd_by_camera names a camera the sensor does not list")
    if sensor.sar and not {m.code for m in sensor.sar.modes} <= set(sensor.cameras):
        raise o.fail("every SAR mode code must be one of the sensor's cameras")


# -- satellites -----------------------------------------------------------------------------------------
def _orbit(o: JsonObject) -> Orbit:
    orbit = Orbit(
        type=choice(o, "type", ORBIT_TYPES),
        altitude_km=o.number("altitude_km"),
        inclination_deg=o.opt_number("inclination_deg"),
        local_time=o.opt_text("local_time"),
        revisit_days=o.opt_number("revisit_days"),
        repeat_cycle_days=o.opt_number("repeat_cycle_days"),
        longitude_deg=o.opt_number("longitude_deg"),
    )
    o.done()
    if orbit.altitude_km is None or orbit.altitude_km <= 0:
        raise o.fail("altitude_km must be positive")
    if (orbit.type == "geostationary") != (orbit.longitude_deg is not None):
        raise o.fail("longitude_deg is given for geostationary orbits and only for them")
    return orbit


def _providers(o: JsonObject, agencies: dict[str, Provider]) -> tuple[Provider, ...]:
    out = []
    for p in o.objects("providers"):
        agency = p.text("agency")
        if agency not in agencies:
            raise p.fail(f"agency {agency!r} is not in the agencies table")
        roles = p.texts("roles")
        p.done()
        if not roles or not set(roles) <= PROVIDER_ROLES:
            raise p.fail(f"roles must be among {', '.join(sorted(PROVIDER_ROLES))}")
        out.append(replace(agencies[agency], roles=roles))
    if not out:
        raise o.fail("providers must name at least one agency")
    return tuple(out)


def _launch(o: JsonObject) -> str:
    value = o.text("launch")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise o.fail(f"launch {value!r} is not an ISO date (YYYY-MM-DD)") from None
    return value


def _satellite(o: JsonObject, agencies: dict[str, Provider]) -> Satellite:
    orbit = o.object("orbit")
    sat = Satellite(
        id=matching(o, "id", _ID, "a lower-case id"),
        code=matching(o, "code", _CODE, "an upper-case code"),
        aliases=o.texts("aliases"),
        name=o.text("name"),
        name_zh=o.text("name_zh"),
        series=choice(o, "series", SERIES),
        constellation=matching(o, "constellation", _ID, "a lower-case id"),
        operator=o.text("operator"),
        launch=_launch(o),
        status=choice(o, "status", STATUSES),
        orbit=_orbit(orbit),
        mission=o.text("mission"),
        sensors=tuple(_sensor(s) for s in o.objects("sensors")),
        providers=_providers(o, agencies),
    )
    o.done()
    if not sat.sensors:
        raise o.fail("a satellite needs at least one sensor")
    if not all(_CODE.fullmatch(a) for a in sat.aliases):
        raise o.fail("aliases must be upper-case codes (letters, digits, '-' and '_')")
    _check_sensor_keys(o, sat)
    return sat


def _check_sensor_keys(o: JsonObject, sat: Satellite) -> None:
    """Sensor ids and camera codes must each lead to exactly one sensor."""
    owner: dict[str, str] = {}
    for s in sat.sensors:
        for key in {s.id, *(c.lower() for c in s.cameras)}:
            if owner.setdefault(key, s.id) != s.id:
                raise o.fail(f"sensor key {key!r} is used by both {owner[key]!r} and {s.id!r}")


# -- themes -----------------------------------------------------------------------------------------------
def _theme(o: JsonObject, sats: dict[str, Satellite]) -> Theme:
    sources = []
    for src in o.objects("sources"):
        sat_id, sensor_id = src.text("satellite"), src.text("sensor")
        src.done()
        if sat_id not in sats:
            raise src.fail(f"satellite {sat_id!r} is not in the registry")
        if sensor_id not in {s.id for s in sats[sat_id].sensors}:
            raise src.fail(f"{sat_id} has no sensor {sensor_id!r}")
        sources.append(ThemeSource(sat_id, sensor_id))
    theme = Theme(
        id=matching(o, "id", _ID, "a lower-case id"),
        token=matching(o, "token", _CODE, "an upper-case token"),
        title=o.text("title"),
        title_zh=o.text("title_zh"),
        domain=choice(o, "domain", DOMAINS),
        unit=o.opt_text("unit"),
        description=o.text("description"),
        sources=tuple(sources),
    )
    o.done()
    return theme


# -- the whole file -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Registry:
    """The checked registry with its lookup tables."""

    satellites: tuple[Satellite, ...]
    themes: tuple[Theme, ...]
    _by_key: dict[str, Satellite] = field(repr=False)
    _themes_by_key: dict[str, Theme] = field(repr=False)

    def satellite(self, key: str) -> Satellite:
        """By registry id ("gf-1"), product-name code ("GF1") or alias ("CBERS04"), any case."""
        found = self._by_key.get(key.strip().lower())
        if found is None:
            raise UnknownProduct(f"satellite {key!r} is not in the satellite registry")
        return found

    def theme(self, key: str) -> Theme:
        """By theme id ("sst") or product-name token ("SST"), any case."""
        found = self._themes_by_key.get(key.strip().lower())
        if found is None:
            raise UnknownProduct(f"no theme {key!r} in the registry")
        return found


def _agencies(root: JsonObject) -> dict[str, Provider]:
    """The agencies table, as providers without roles (each satellite gives the roles)."""
    out = {}
    for key, a in root.object("agencies").members():
        out[key] = Provider(name=a.text("name"), title=a.text("title"), url=a.opt_text("url"), roles=())
        a.done()
    return out


def _index(pairs: list[tuple[str, str, Any]], what: str, source: str) -> dict[str, Any]:
    """Map each (key, owner, record) key to its record; a key used twice is an error."""
    index: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for key, owner, record in pairs:
        if key in index:
            twice = "twice by" if owners[key] == owner else f"by both {owners[key]!r} and"
            raise EonodeError(f"{source}: {what} key {key!r} is used {twice} {owner!r}")
        index[key], owners[key] = record, owner
    return index


def load_registry(raw: object, source: str = "satellites.json") -> Registry:
    """Check a parsed registry document and build the registry from it."""
    root = JsonObject(raw, source)
    root.opt_text("about")
    agencies = _agencies(root)
    sats = tuple(_satellite(s, agencies) for s in root.objects("satellites"))
    by_id = _index([(s.id, s.id, s) for s in sats], "satellite", source)
    keys = []
    for s in sats:
        own = {s.id, s.code.lower()}  # an id may equal its code ("cfosat"/"CFOSAT")
        keys += [(k, s.id, s) for k in sorted(own)] + [(a.lower(), s.id, s) for a in s.aliases]
    by_key = _index(keys, "satellite", source)
    themes = tuple(_theme(t, by_id) for t in root.objects("themes"))
    theme_keys = _index([(k, t.id, t) for t in themes for k in sorted({t.id, t.token.lower()})], "theme", source)
    root.done()
    if not sats:
        raise root.fail("the registry lists no satellites")
    return Registry(sats, themes, by_key, theme_keys)


def parse_registry(text: str, source: str = "satellites.json") -> Registry:
    """The registry in this JSON text (EonodeError if it is not valid JSON or not a valid registry)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EonodeError(f"{source}: not valid JSON ({exc})") from None
    return load_registry(raw, source)
