"""STAC Collection documents built from the satellite registry.

A product collection (``gf1-pms-l1a``) summarises one satellite sensor at one processing level; a
thematic collection (``sst-hy1c-cocts``) one theme derived from one satellite sensor, at the
thematic levels L2A/L2B/L2C. Both carry the registry's facts as ``eonode:series``,
``eonode:satellite`` and ``eonode:sensor`` (and ``eonode:theme``), which the portal shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from eonode.models.extensions import EXTENSIONS
from eonode.satellites import THEMATIC_LEVELS, Satellite, Sensor, Theme, collection_id, eo_bands, satellite, theme

if TYPE_CHECKING:
    from eonode.ingest.model import CollectionRef

STAC_VERSION = "1.1.0"
EO_EXTENSION = EXTENSIONS["eo"]
SAR_EXTENSION = EXTENSIONS["sar"]
PROCESSING_EXTENSION = EXTENSIONS["processing"]


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != ()}


def _num(value: float | None) -> int | float | None:
    """Whole numbers as ints (``645`` rather than ``645.0``) for readable documents."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def payload(sensor: Sensor) -> dict[str, Any]:
    """A sensor as one line of a satellite's payload list."""
    return _compact(
        {
            "id": sensor.id,
            "name": sensor.name,
            "kind": sensor.kind,
            "cameras": list(sensor.cameras),
            "gsd": _num(sensor.gsd),
            "resolutions": [_num(r) for r in sensor.resolutions],
            "swath_km": _num(sensor.swath_km),
            "levels": list(sensor.levels),
        }
    )


def satellite_facts(sat: Satellite) -> dict[str, Any]:
    """The ``eonode:satellite`` object a collection carries (and the portal's satellite pages use)."""
    o = sat.orbit
    return _compact(
        {
            "id": sat.id,
            "code": sat.code,
            "name": sat.name,
            "name_zh": sat.name_zh,
            "series": sat.series,
            "constellation": sat.constellation,
            "operator": sat.operator,
            "providers": [p.name for p in sat.providers],
            "launch": sat.launch,
            "status": sat.status,
            "orbit": _compact(
                {
                    "type": o.type,
                    "altitude_km": _num(o.altitude_km),
                    "inclination_deg": _num(o.inclination_deg),
                    "local_time": o.local_time,
                    "revisit_days": _num(o.revisit_days),
                    "repeat_cycle_days": _num(o.repeat_cycle_days),
                    "longitude_deg": _num(o.longitude_deg),
                }
            ),
            "mission": sat.mission,
            "payloads": [payload(s) for s in sat.sensors],
        }
    )


def sensor_facts(sensor: Sensor) -> dict[str, Any]:
    """The ``eonode:sensor`` object: the payload line plus its bands, band groups and SAR modes."""
    facts = payload(sensor)
    facts["description"] = sensor.description
    facts["gsd_by_camera"] = {k: _num(v) for k, v in sensor.gsd_by_camera.items()} or None
    facts["bands"] = [
        _compact(
            {
                "id": b.id,
                "name": b.name,
                "common_name": b.common_name,
                "center_wavelength": b.center_wavelength,
                "full_width_half_max": b.full_width_half_max,
                "frequency_ghz": b.frequency_ghz,
                "polarization": b.polarization,
                "gsd": _num(b.gsd),
                "part": b.part,
                "description": b.description,
            }
        )
        for b in sensor.bands
    ]
    if sensor.band_groups:
        facts["band_groups"] = [
            _compact(
                {
                    "name": g.name,
                    "count": g.count,
                    "range_um": list(g.range_um),
                    "gsd": _num(g.gsd),
                    "sampling_nm": _num(g.sampling_nm),
                    "sampling_wavenumber": _num(g.sampling_wavenumber),
                }
            )
            for g in sensor.band_groups
        ]
    if sensor.sar:
        facts["sar_modes"] = [
            {
                "code": m.code,
                "name": m.name,
                "resolution_m": _num(m.resolution_m),
                "swath_km": _num(m.swath_km),
                "incidence_deg": [_num(a) for a in m.incidence_deg],
                "polarization_mode": m.polarization_mode,
                "polarizations": list(m.polarizations),
            }
            for m in sensor.sar.modes
        ]
    return _compact(facts)


def theme_facts(th: Theme) -> dict[str, Any]:
    return _compact(
        {
            "id": th.id,
            "token": th.token,
            "title": th.title,
            "title_zh": th.title_zh,
            "domain": th.domain,
            "unit": th.unit,
            "description": th.description,
        }
    )


def _sar_summaries(sensor: Sensor, level: str) -> dict[str, Any]:
    sar = sensor.sar
    if sar is None:
        return {}
    types = sar.product_types.get(level) or tuple(dict.fromkeys(t for ts in sar.product_types.values() for t in ts))
    return _compact(
        {
            "sar:instrument_mode": [m.code for m in sar.modes],
            "sar:frequency_band": [sar.frequency_band],
            "sar:center_frequency": [_num(sar.center_frequency)],
            "sar:polarizations": list(sar.polarizations),
            "sar:product_type": list(types),
        }
    )


def _summaries(sat: Satellite, sensor: Sensor, ref: CollectionRef) -> dict[str, Any]:
    levels = list(THEMATIC_LEVELS) if ref.theme else [ref.level]
    summaries: dict[str, Any] = {
        "platform": [sat.id],
        "constellation": [sat.constellation],
        "instruments": [sensor.id],
        "gsd": [_num(r) for r in sensor.resolutions],
        "processing:level": levels,
        "eonode:camera": list(sensor.cameras),
    }
    if ref.theme:
        return summaries  # a thematic product holds one derived variable, not the sensor's bands
    bands = eo_bands(sat.id, sensor.id)
    if bands:
        summaries["eo:bands"] = bands
    summaries.update(_sar_summaries(sensor, ref.level))
    return summaries


class _Texts(NamedTuple):
    title: str
    description: str
    keywords: list[str]


def _texts(sat: Satellite, sensor: Sensor, ref: CollectionRef) -> _Texts:
    base = [sat.series.lower(), sat.constellation, sat.id, sat.code.lower(), sensor.id, sensor.kind]
    if ref.theme:
        th = theme(ref.theme)
        title = f"{th.title} — {sat.name} {sensor.id.upper()}"
        description = (
            f"{th.description} Level-2 thematic product ({', '.join(THEMATIC_LEVELS)}) derived from "
            f"{sat.name} ({sat.name_zh}) {sensor.name} data. Theme: {th.title_zh}."
        )
        return _Texts(title, description, [th.id, th.domain, "thematic", *base])
    title = f"{sat.name} {sensor.id.upper()} {ref.level}"
    description = (
        f"{sat.name} ({sat.name_zh}) {sensor.name}, processing level {ref.level}. {sensor.description} {sat.mission}"
    )
    return _Texts(title, description, [*base, ref.level.lower()])


def document(ref: CollectionRef, *, extensions: bool = True) -> dict[str, Any]:
    """The STAC Collection of ``ref`` (see :func:`eonode.satellites.collection_document`)."""
    sat = satellite(ref.platform)
    sensor = sat.sensor(ref.sensor)
    summaries = _summaries(sat, sensor, ref)
    texts = _texts(sat, sensor, ref)
    used = [PROCESSING_EXTENSION]
    if "eo:bands" in summaries:
        used.append(EO_EXTENSION)
    if "sar:instrument_mode" in summaries:
        used.append(SAR_EXTENSION)
    doc: dict[str, Any] = {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": used if extensions else [],
        "id": collection_id(ref),
        "title": texts.title,
        "description": texts.description,
        "license": "other",
        "keywords": list(dict.fromkeys(texts.keywords)),
        "providers": [p.stac() for p in sat.providers],
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[f"{sat.launch}T00:00:00Z", None]]},
        },
        "summaries": summaries,
        "links": [],
        "eonode:series": sat.series,
        "eonode:satellite": satellite_facts(sat),
        "eonode:sensor": sensor_facts(sensor),
    }
    if ref.theme:
        doc["eonode:theme"] = theme_facts(theme(ref.theme))
    return doc
