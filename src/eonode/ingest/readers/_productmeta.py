"""The CRESDA flat ``ProductMetaData`` file (product-formats §4.1), classic and 2023 generations.

Both generations use the same element names for everything eonode reads; the 2023 one adds
``ReceiveStationID`` and ``CenterLatitude/Longitude`` and prints more decimals. ZY-1 02D writes
``Level`` for ``ProductLevel`` and ``ImageGSDLine`` for ``ImageGSD``; GF-5 gives no ``CenterTime``.

Angles, with the semantics the fixtures show (§4.9):
* ``SolarZenith`` is a zenith angle for GF-1/GF-2 but already an elevation for GF-4;
* ``SatelliteZenith`` behaves like an elevation (≈ 90° at nadir), so incidence = 90 − value;
* ``RollSatelliteAngle``/``PitchSatelliteAngle`` are the platform's pointing, hence the off-nadir angle.
"""

from __future__ import annotations

from datetime import tzinfo

from eonode.errors import InvalidMetadata
from eonode.ingest.readers._common import (
    BEIJING,
    azimuth,
    bounded,
    cloud_cover,
    off_nadir,
    parse_time,
    processing_level,
    quad,
)
from eonode.ingest.readers._optical import Scene
from eonode.ingest.readers._xml import Node

ROOT = "ProductMetaData"
CORNERS = ("TopLeft", "TopRight", "BottomRight", "BottomLeft")
# Satellites whose SolarZenith element holds the sun elevation (registry ids); the others hold a zenith.
SOLAR_ZENITH_IS_ELEVATION = frozenset({"gf-4"})


def _corner(doc: Node, corner: str) -> tuple[float, float]:
    lon, lat = doc.number(f"{corner}Longitude"), doc.number(f"{corner}Latitude")
    if lon is None or lat is None:
        raise InvalidMetadata(f"{doc.where}: {corner}Latitude/{corner}Longitude is missing or empty")
    return lon, lat


def read_scene(doc: Node, path: str, part: str | None, platform: str, tz: tzinfo = BEIJING) -> Scene:
    """One ``ProductMetaData`` file as a scene; ``platform`` (registry id) selects the angle semantics."""
    where = doc.where
    solar = doc.number("SolarZenith")
    if solar is not None and platform not in SOLAR_ZENITH_IS_ELEVATION:
        solar = 90.0 - solar
    satellite_elevation = doc.number("SatelliteZenith")
    roll = doc.number("RollSatelliteAngle")
    pitch = doc.number("PitchSatelliteAngle")
    if roll is None and pitch is None:
        roll, pitch = doc.number("RollViewingAngle"), doc.number("PitchViewingAngle")
    bands = doc.text("Bands", "BandsID") or ""
    return Scene(
        path=path,
        part=part,
        footprint=quad([_corner(doc, c) for c in CORNERS], where),
        center=parse_time(doc.text("CenterTime"), tz, where, "CenterTime"),
        start=parse_time(doc.text("StartTime"), tz, where, "StartTime"),
        end=parse_time(doc.text("EndTime"), tz, where, "EndTime"),
        gsd=doc.number("ImageGSD", "ImageGSDLine", "ImageGSDSample"),
        cloud=cloud_cover(doc.number("CloudPercent")),
        level=processing_level(doc.text("ProductLevel", "Level")),
        bands=tuple(b.strip() for b in bands.split(",") if b.strip()),
        produced=parse_time(doc.text("ProduceTime"), tz, where, "ProduceTime"),
        off_nadir=off_nadir(roll, pitch),
        incidence=None if satellite_elevation is None else bounded(90.0 - satellite_elevation, 0.0, 90.0),
        view_azimuth=azimuth(doc.number("SatelliteAzimuth")),
        sun_azimuth=azimuth(doc.number("SolarAzimuth")),
        sun_elevation=bounded(solar, -90.0, 90.0),
        product_id=doc.identifier("ProductID"),
        scene_id=doc.identifier("SceneID"),
        orbit=doc.integer("OrbitID", "POrbitID"),
        station=doc.text("ReceiveStationID", "ReceiveStation"),
    )
