"""CBERS-4/4A products as INPE (Brazil) distributes them: one ``prdf`` XML per band (§2.10, §4.6).

``CBERS_4_MUX_20201031_003_073_L2_BAND5.xml``: the product is the name without ``_BAND<n>``, and
the package may hold one band or all of them. Times are UTC. The footprint is the valid-data
quadrilateral (``imageData``), not the map-grid box around it (``boundingBox``, the fallback).
Angles are written as degree/minute/second/millisecond groups.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from eonode.errors import InvalidMetadata, MissingMetadata
from eonode.ingest.model import AssetSpec, CollectionRef, PackageContents, Product, find
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import (
    asset,
    azimuth,
    bounded,
    eo_bands_for,
    geometry,
    parse_time,
    processing_level,
    quad,
    stac_item,
)
from eonode.ingest.readers._optical import Scene, scene_properties
from eonode.ingest.readers._xml import Node, read_xml
from eonode.satellites import satellite

NAME = re.compile(
    r"^CBERS_(?P<number>4A?)_(?P<camera>MUX|AWFI|PAN5M|PAN10M|WFI|WPM|IRS)_(?P<date>\d{8})"
    r"_(?P<path>\d{3})_(?P<row>\d{3})_L(?P<level>\d)(?:_BAND(?P<band>\d+))?$"
)
_BAND_FILE = re.compile(r"_BAND(?P<band>\d+)\.(?P<ext>xml|tiff?|png|jpe?g)$", re.IGNORECASE)
_ORBIT_STATES = ("ascending", "descending")
_CORNERS = ("UL", "UR", "LR", "LL")


def dms(doc: Node, path: str) -> float | None:
    """An angle written as degree, minute, second, millisecond children, in decimal degrees."""
    node = doc.find(path)
    if node is None or node.number("degree") is None:
        return None
    degree, minute, second, milli = (node.number(unit) or 0.0 for unit in ("degree", "minute", "second", "millisecond"))
    fraction = (minute + (second + milli / 1000) / 60) / 60
    return degree - fraction if degree < 0 else degree + fraction


def _corners(doc: Node) -> list[tuple[float, float]]:
    for box in ("image/imageData", "image/boundingBox"):
        points = [(doc.number(f"{box}/{c}/longitude"), doc.number(f"{box}/{c}/latitude")) for c in _CORNERS]
        corners = [(lon, lat) for lon, lat in points if lon is not None and lat is not None]
        if len(corners) == len(_CORNERS):
            return corners
    raise InvalidMetadata(f"{doc.where}: image/imageData and image/boundingBox give no UL/UR/LR/LL coordinates")


def read_band(doc: Node, path: str, band: str) -> Scene:
    def utc(field: str) -> datetime | None:
        return parse_time(doc.text(field), UTC, doc.where, field)

    station = doc.text("image/receivingStation")
    direction = (doc.text("image/orbitDirection") or "").lower()
    elevation = doc.number("image/sunPosition/elevation")
    if elevation is None:
        incidence = dms(doc, "sunIncidenceAngle")  # the sun's zenith angle
        elevation = None if incidence is None else 90.0 - incidence
    return Scene(
        path=path,
        part=band,
        footprint=quad(_corners(doc), doc.where),
        center=utc("viewing/center") or utc("image/timeStamp/center"),
        start=utc("viewing/begin") or utc("image/timeStamp/begin"),
        end=utc("viewing/end") or utc("image/timeStamp/end"),
        gsd=doc.number("image/horizontalPixelSize", "image/verticalPixelSize"),
        level=processing_level(doc.text("image/level")),
        bands=(band,),
        produced=utc("image/processingTime"),
        sun_azimuth=azimuth(doc.number("image/sunPosition/sunAzimuth")),
        sun_elevation=bounded(elevation, -90.0, 90.0),
        orbit=doc.integer("revolutionNumber") or None,  # 0 when unknown
        orbit_state=direction if direction in _ORBIT_STATES else None,
        station=None if station and station.lower().startswith("unknown") else station,
    )


class CbersInpeReader(NamedReader[re.Match[str]]):
    name = "cbers-inpe"
    kind = "an INPE CBERS product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return NAME.match(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        item_id = m.string[: m.start("band") - len("_BAND")] if m["band"] else m.string
        xmls = sorted((number[0], x) for x in find(pkg, "*_BAND*.xml") if (number := band_file(x.name, "xml")))
        if not xmls:
            raise MissingMetadata(f"{pkg.name}: no band metadata file (<name>_BAND<n>.xml) in the package")
        docs = [(str(band), member.path, read_xml(pkg, member)) for band, member in xmls]
        for _, _, doc in docs:
            if doc.tag.lower() != "prdf":
                raise InvalidMetadata(f"{doc.where}: the root element is {doc.tag}, not prdf")
        scenes = [read_band(doc, path, band) for band, path, doc in docs]
        sat = satellite(f"CBERS{m['number']}")
        sensor = sat.sensor(m["camera"])
        level = scenes[0].level or f"L{m['level']}"
        ref = CollectionRef(sat.id, sensor.id, level)
        properties = scene_properties(scenes, pkg.name)
        properties.update(
            {
                "processing:level": level,
                "instruments": [sensor.id],
                "eo:bands": eo_bands_for(sat.id, sensor.id, [s.part or "" for s in scenes], panchromatic=False),
                "eonode:path": int(m["path"]),
                "eonode:row": int(m["row"]),
            }
        )
        item = stac_item(item_id, ref, geometry([s.footprint for s in scenes]), properties)
        bands = sorted((band_file(x.name), x.path) for x in pkg.members if band_file(x.name, "tif"))
        return Product(item, ref, _assets(pkg, docs), [path for _, path in bands])


def band_file(name: str, kind: str = "") -> tuple[int, str] | None:
    """(band number, extension) of a ``…_BAND<n>.<ext>`` file name whose extension starts with ``kind``."""
    m = _BAND_FILE.search(name)
    return (int(m["band"]), m["ext"].lower()) if m and m["ext"].lower().startswith(kind) else None


def _assets(pkg: PackageContents, docs: list[tuple[str, str, Node]]) -> list[AssetSpec]:
    out = [
        asset("metadata" if k == 0 else f"metadata-band{band}", path, "metadata", f"Band {band} metadata")
        for k, (band, path, _) in enumerate(docs)
    ]
    quicklooks = [m for m in pkg.members if m.name.lower().endswith((".jpg", ".jpeg", ".png"))]
    if quicklooks:
        first = min(quicklooks, key=lambda m: m.path)
        media = "image/png" if first.name.lower().endswith(".png") else "image/jpeg"
        out.append(AssetSpec("browse", first.path, media, ("overview",), "Browse image"))
    return out


READER = CbersInpeReader()
