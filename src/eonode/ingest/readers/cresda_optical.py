"""CRESDA optical products described by flat ``ProductMetaData`` XML files.

Covers GF-1 PMS1/2 and WFV1–4, GF-1 B/C/D PMS, GF-2 PMS (classic and 2023 packages), GF-4 PMS,
IRS and PMI, GF-5 AHSI/VIMS, GF-6 PMS/WFV, GF-7 DLC, ZY-3 01/02/03 and ZY-1 02D — every package
named by the common CRESDA scheme (product-formats §1.1). One package is one product, whatever
number of parts (``-MSS1``/``-PAN1``, ``-MUX``/``-PAN``, ``-BWDPAN``…, tiles ``-1``…) it holds.

Times in these files are Beijing time. The file-name id is not trusted to equal the XML
``ProductID`` (one GF-2 package clamps it to 2³¹−1), so identifiers come from the XML, as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from eonode.errors import InvalidMetadata, MissingMetadata, UnknownProduct
from eonode.ingest.model import CollectionRef, PackageContents, Product
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import eo_bands_for, geometry, merge_bands, stac_item
from eonode.ingest.readers._members import PANCHROMATIC_PARTS, Entry, classify, of_kind, package_assets
from eonode.ingest.readers._optical import Scene, scene_properties
from eonode.ingest.readers._productmeta import ROOT, read_scene
from eonode.ingest.readers._xml import read_xml
from eonode.satellites import Satellite, Sensor, satellite

NAME = re.compile(
    r"^(?P<sat>GF[124567][BCD]?|ZY3|ZY30[23]|ZY02C|ZY1[EF]|HJ2[AB])"
    r"_(?P<sensor>[A-Z][A-Z0-9]{1,4})"
    r"_[EW]\d{1,3}\.\d{1,2}_[NS]\d{1,2}\.\d{1,2}"
    r"_(?P<date>\d{8})(?:_(?P<orbit>\d{6}))?"
    r"_(?P<level>L\d[A-Z]?)(?P<pid>\d{10,11})"
    r"(?:-(?P<part>[A-Z0-9]+))?$"
)
# GF-5 VIMS and GMI write the latitude first (product-formats §1.1)
NAME_LAT_FIRST = re.compile(
    r"^(?P<sat>GF5B?)_(?P<sensor>VIMS|GMI)_[NS]\d{1,2}\.\d{1,2}_[EW]\d{1,3}\.\d{1,2}"
    r"_(?P<date>\d{8})_(?P<orbit>\d{6})_(?P<level>L\d)(?P<pid>\d{10})(?:-(?P<part>[A-Z0-9]+))?$"
)


def parse_name(name: str) -> re.Match[str] | None:
    return NAME.match(name) or NAME_LAT_FIRST.match(name)


def sensor_of(sat: Satellite, code: str, part: str | None, *others: str | None) -> Sensor:
    """The registry sensor of a product or part: by the part (``-MUX`` of a ZY-3 TMS bundle is the
    MUX camera), else by the name's sensor code, else by the other parts (a bundle code the registry
    does not list is represented by its leading part)."""
    for candidate in (part, code, *others):
        if candidate and not candidate.isdigit():
            try:
                return sat.sensor(candidate)
            except UnknownProduct:
                continue
    return sat.sensor(code)  # raises UnknownProduct naming the sensor code


def camera_of(sensor: Sensor, code: str, part: str | None) -> str | None:
    """The camera worth naming: a part (BWDPAN) or a numbered camera (PMS1, WFV3), not a mere sensor id."""
    if part and not part.isdigit():
        camera = part
    elif code[-1:].isdigit():
        camera = code
    else:
        return None
    return None if camera.lower() == sensor.id else camera


def read_scenes(pkg: PackageContents, entries: Sequence[Entry], platform: str) -> list[Scene]:
    """Every ``ProductMetaData`` file as a scene, leading part first. Other XML files (the GF-6
    footprint shapefile's own XML) are skipped here but still kept as assets."""
    xmls = of_kind(entries, "xml")
    if not xmls:
        raise MissingMetadata(f"{pkg.name}: no metadata XML (<name>.xml or <name>-<part>.xml) in the package")
    scenes = []
    for entry in xmls:
        doc = read_xml(pkg, entry.path)
        if doc.tag.lower() == ROOT.lower():
            scenes.append(read_scene(doc, entry.path, entry.part, platform))
    if not scenes:
        raise InvalidMetadata(f"{pkg.name}: no XML file in the package has a {ROOT} root element")
    return scenes


class CresdaOpticalReader(NamedReader[re.Match[str]]):
    name = "cresda-optical"
    kind = "a CRESDA optical product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return parse_name(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        sat = satellite(m["sat"])
        entries = classify(pkg, m["sensor"])
        scenes = read_scenes(pkg, entries, sat.id)
        lead = scenes[0]
        sensor = sensor_of(sat, m["sensor"], m["part"], *(s.part for s in scenes))
        level = lead.level or m["level"]
        ref = CollectionRef(sat.id, sensor.id, level)
        instruments, bands = [sensor.id], []
        for scene in scenes:
            part = scene.part or m["part"] or m["sensor"]  # GF4_PMS_… alone: the code is the part
            part_sensor = sensor_of(sat, m["sensor"], part)
            instruments.append(part_sensor.id)
            panchromatic = part in PANCHROMATIC_PARTS
            bands.append(eo_bands_for(sat.id, part_sensor.id, scene.bands, part=part, panchromatic=panchromatic))
        properties = scene_properties(scenes, pkg.name)
        properties.update(
            {
                "processing:level": level,
                "instruments": list(dict.fromkeys(instruments)),
                "eo:bands": merge_bands(bands),
                "eonode:camera": camera_of(sensor, m["sensor"], m["part"]),
            }
        )
        item = stac_item(name, ref, geometry([s.footprint for s in scenes]), properties)
        lead_part = next((s.part for s in scenes if s.part is not None), None)
        images = [e.path for e in of_kind(entries, "image")]
        return Product(item, ref, package_assets(entries, lead.path, lead_part), images)


READER = CresdaOpticalReader()
