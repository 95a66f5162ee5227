"""CBERS-04/04A products as CRESDA distributes them (product-formats §2.10, §4.5).

Two name forms: the older hyphenated one (``CB04-P10-365-64-B2-20170819-L20003200907``: satellite,
camera, path, row, an undecoded token, date, level + id) and, by analogy with every other CRESDA
product, ``CB04_MUX_E…_N…_<date>_L…`` / ``CB04A_WPM_…-MSS``. Metadata is the lower-camel-case
``root/data`` file; a flat ``ProductMetaData`` file (as CB04A WPM packages may carry) is read like
any CRESDA optical file. Times are Beijing time. ``root/data`` gives no cloud cover.
"""

from __future__ import annotations

import re

from eonode.errors import InvalidMetadata, MissingMetadata, UnknownProduct
from eonode.ingest.model import CollectionRef, PackageContents, Product
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import (
    BEIJING,
    bounded,
    eo_bands_for,
    geometry,
    merge_bands,
    midpoint,
    parse_time,
    processing_level,
    quad,
    stac_item,
)
from eonode.ingest.readers._members import PANCHROMATIC_PARTS, classify, of_kind, package_assets
from eonode.ingest.readers._optical import Scene, scene_properties
from eonode.ingest.readers._productmeta import ROOT, read_scene
from eonode.ingest.readers._xml import Node, read_xml
from eonode.satellites import Satellite, Sensor, satellite

HYPHENATED = re.compile(
    r"^(?P<sat>CB04A?)-(?P<sensor>[A-Z0-9]+)-(?P<path>\d{1,3})-(?P<row>\d{1,3})-(?P<token>[A-Z0-9]+)"
    r"-(?P<date>\d{8})-(?P<level>L\d[A-Z]?)(?P<pid>\d{10,11})$"
)
UNDERSCORED = re.compile(
    r"^(?P<sat>CB04A?)_(?P<sensor>[A-Z][A-Z0-9]{1,5})_[EW]\d{1,3}\.\d{1,2}_[NS]\d{1,2}\.\d{1,2}"
    r"_(?P<date>\d{8})_(?P<level>L\d[A-Z]?)(?P<pid>\d{10,11})(?:-(?P<part>[A-Z0-9]+))?$"
)
_CORNERS = ("UpperLeft", "UpperRight", "LowerRight", "LowerLeft")


def parse_name(name: str) -> re.Match[str] | None:
    return HYPHENATED.match(name) or UNDERSCORED.match(name)


def camera_sensor(sat: Satellite, camera: str) -> Sensor:
    """The sensor of a CRESDA camera code; ``P10`` is also written ``P10M`` (10 m PAN camera mode)."""
    try:
        return sat.sensor(camera)
    except UnknownProduct:
        if re.fullmatch(r"P\d+", camera):
            return sat.sensor(f"{camera}M")
        raise


def read_data(doc: Node, path: str, part: str | None) -> Scene:
    """A ``root/data`` file as a scene (fields also accepted directly under the root)."""
    data = doc.find("data") or doc
    corners = []
    for corner in _CORNERS:
        lon, lat = data.number(f"data{corner}Long"), data.number(f"data{corner}Lat")
        if lon is None or lat is None:
            raise InvalidMetadata(f"{doc.where}: data{corner}Lat/data{corner}Long is missing or empty")
        corners.append((lon, lat))
    start = parse_time(data.text("imagingStartTime"), BEIJING, doc.where, "imagingStartTime")
    end = parse_time(data.text("imagingStopTime"), BEIJING, doc.where, "imagingStopTime")
    scene_date = parse_time(data.text("sceneDate"), BEIJING, doc.where, "sceneDate")
    off_nadir = data.number("satOffNadir")
    return Scene(
        path=path,
        part=part,
        footprint=quad(corners, doc.where),
        center=midpoint(start, end) or scene_date,
        start=start,
        end=end,
        gsd=data.number("pixelSpacing"),
        level=processing_level(data.text("productLevel")),
        bands=tuple(b.strip() for b in (data.text("bands") or "").split(",") if b.strip()),
        produced=parse_time(data.text("productDate"), BEIJING, doc.where, "productDate"),
        off_nadir=None if off_nadir is None else bounded(abs(off_nadir), 0.0, 90.0),
        product_id=data.identifier("productId"),
        scene_id=data.identifier("sceneId"),
    )


class CbersCresdaReader(NamedReader[re.Match[str]]):
    name = "cbers-cresda"
    kind = "a CRESDA CBERS product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return parse_name(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        sat = satellite(m["sat"])
        sensor = camera_sensor(sat, m["sensor"])
        part = m.groupdict().get("part")
        entries = classify(pkg, m["sensor"])
        scenes = []
        for entry in of_kind(entries, "xml"):
            doc = read_xml(pkg, entry.path)
            if doc.tag.lower() == "root":
                scenes.append(read_data(doc, entry.path, entry.part))
            elif doc.tag.lower() == ROOT.lower():
                scenes.append(read_scene(doc, entry.path, entry.part, sat.id))
        if not scenes:
            if not of_kind(entries, "xml"):
                raise MissingMetadata(f"{pkg.name}: no metadata XML (<name>.xml) in the package")
            raise InvalidMetadata(f"{pkg.name}: no XML file in the package has a root/data or {ROOT} layout")
        level = scenes[0].level or m["level"]
        ref = CollectionRef(sat.id, sensor.id, level)
        properties = scene_properties(scenes, pkg.name)
        properties.update(
            {
                "processing:level": level,
                "instruments": [sensor.id],
                "eo:bands": merge_bands(
                    eo_bands_for(sat.id, sensor.id, s.bands, panchromatic=(s.part or part) in PANCHROMATIC_PARTS)
                    for s in scenes
                ),
                "eonode:product_id": scenes[0].product_id or m["pid"].lstrip("0"),
                "eonode:path": int(m["path"]) if "path" in m.groupdict() else None,
                "eonode:row": int(m["row"]) if "row" in m.groupdict() else None,
            }
        )
        item = stac_item(name, ref, geometry([s.footprint for s in scenes]), properties)
        lead_part = next((s.part for s in scenes if s.part is not None), None)
        images = [e.path for e in of_kind(entries, "image")]
        return Product(item, ref, package_assets(entries, scenes[0].path, lead_part), images)


READER = CbersCresdaReader()
