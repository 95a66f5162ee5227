"""Sensor-corrected products of the surveying and mapping centre (SASMAC): ZY-3 and GF-7.

Names: ``ZY3_01a_mynbavp_278116_20140827_183905_…`` (the letter after the 3-letter station is the
camera: n nadir, b backward, f forward), ``zy301a_bwd_021871_044148_20151217121515_…`` and
``GF701_004075_E105.4_N23.9_20200728114926_MUX_01_…``. Package: ``IMAGEDATA/<name>.tif``,
``<name>_rpc.txt``, ``PREVIEW/<name>_pre.jpg`` (browse) and ``_ico.jpg`` (thumbnail), and
``<name>.xml`` with a ``sensor_corrected_metadata`` root (product-formats §2.7, §2.8, §4.7).

Times are read as Beijing time, like the acquisition stamps in the names (a GF-7 stamp of 11:49
at 105°E is mid-morning local time only in Beijing time). The level is the product kind, ``SC``
(sensor corrected), unless the file states one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eonode.errors import InvalidMetadata, MissingMetadata, UnknownProduct
from eonode.ingest.model import AssetSpec, CollectionRef, PackageContents, Product, find
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import (
    BEIJING,
    asset,
    azimuth,
    bounded,
    cloud_cover,
    eo_bands_for,
    geometry,
    parse_time,
    processing_level,
    quad,
    stac_item,
)
from eonode.ingest.readers._members import PANCHROMATIC_PARTS
from eonode.ingest.readers._optical import Scene, scene_properties
from eonode.ingest.readers._xml import Node, read_xml
from eonode.satellites import Satellite, Sensor, satellite

ZY3_LONG = re.compile(r"^ZY3_(?P<unit>0[123])[a-z]?_[a-z]{3}(?P<cam>[nbf])[a-z]*_\d+_(?P<date>\d{8})_\d{6}_.+$")
ZY3_SHORT = re.compile(r"^zy3(?P<unit>0[123])[a-z]?_(?P<cam>nad|bwd|fwd|mux)_\d+_\d+_(?P<date>\d{8})\d{6}_.+$", re.I)
GF7 = re.compile(
    r"^(?P<sat>GF70[12])_(?P<orbit>\d{6})_[EW]\d{1,3}\.\d{1,2}_[NS]\d{1,2}\.\d{1,2}_(?P<date>\d{8})\d{6}"
    r"_(?P<cam>[A-Z]{3,6})_.+$"
)
_CAMERA_LETTER = {"n": "NAD", "b": "BWD", "f": "FWD"}
_GF7_PARTS = {"MUX": "BWDMUX", "BWD": "BWDPAN", "FWD": "FWDPAN"}
ROOT = "sensor_corrected_metadata"
INFO = "productInfo"
_CORNERS = ("LeftTopPoint", "RightTopPoint", "RightBottomPoint", "LeftBottomPoint")


@dataclass(frozen=True, slots=True)
class Identity:
    satellite: str  # registry key
    camera: str  # as the name writes it: NAD, BWD, FWD, MUX
    part: str  # the CRESDA part of the same images (GF-7 MUX = BWDMUX), which the registry may key bands by

    @property
    def panchromatic(self) -> bool:
        return self.part in PANCHROMATIC_PARTS


def identify(name: str) -> Identity | None:
    """Satellite, camera and part from a SASMAC product name."""
    if m := ZY3_LONG.match(name):
        camera = _CAMERA_LETTER[m["cam"]]
        return Identity(f"ZY3{m['unit']}", camera, camera)
    if m := ZY3_SHORT.match(name):
        camera = m["cam"].upper()
        return Identity(f"ZY3{m['unit']}", camera, camera)
    if m := GF7.match(name):
        return Identity(m["sat"], m["cam"], _GF7_PARTS.get(m["cam"], m["cam"]))
    return None


def sensor_of(sat: Satellite, found: Identity) -> Sensor:
    """By camera, else by part; a GF-7 camera belongs to the dual-line camera (DLC) whatever the registry lists."""
    for candidate in (found.camera, found.part, "DLC"):
        try:
            return sat.sensor(candidate)
        except UnknownProduct:
            continue
    return sat.sensor(found.camera)


def _corners(doc: Node) -> list[tuple[float, float]]:
    out = []
    for corner in _CORNERS:
        base = f"{INFO}/ProductGeographicRange/{corner}"
        lon, lat = doc.number(f"{base}/Longtitude|Longitude"), doc.number(f"{base}/Latitude")
        if lon is None or lat is None:
            raise InvalidMetadata(f"{doc.where}: {base} has no Latitude/Longtitude")
        out.append((lon, lat))
    return out


def read_scene(doc: Node, path: str) -> Scene:
    center = parse_time(
        doc.text(f"{INFO}/TimeStamp/CenterTime", f"{INFO}/AcquisitionTime", f"{INFO}/AcquistionTime"),
        BEIJING,
        doc.where,
        "TimeStamp/CenterTime",
    )
    roll = doc.number(f"{INFO}/RollViewingAngle")
    return Scene(
        path=path,
        part=None,
        footprint=quad(_corners(doc), doc.where),
        center=center,
        start=parse_time(doc.text(f"{INFO}/TimeStamp/StartTime"), BEIJING, doc.where, "TimeStamp/StartTime"),
        end=parse_time(doc.text(f"{INFO}/TimeStamp/EndTime"), BEIJING, doc.where, "TimeStamp/EndTime"),
        gsd=doc.number(f"{INFO}/ImageGSD/Line", f"{INFO}/ImageGSDLine", f"{INFO}/ImageGSD"),
        cloud=cloud_cover(doc.number(f"{INFO}/CloudPercent")),
        level=processing_level(doc.text(f"{INFO}/ProductLevel")),
        off_nadir=None if roll is None else bounded(abs(roll), 0.0, 90.0),
        sun_azimuth=azimuth(doc.number(f"{INFO}/SolarAzimuth")),
        product_id=doc.identifier(f"{INFO}/ProductID"),
        scene_id=doc.identifier(f"{INFO}/SceneID"),
        orbit=doc.integer(f"{INFO}/OrbitID"),
    )


def _assets(pkg: PackageContents, meta: str) -> list[AssetSpec]:
    out = [asset("metadata", meta, "metadata", "Product metadata")]
    for pattern, key, kind, title in (
        ("*_rpc.txt", "rpc", "rpc", "Rational polynomial coefficients"),
        ("*_pre.jpg", "browse", "browse", "Browse image"),
        ("*_ico.jpg", "thumbnail", "thumbnail", "Thumbnail"),
    ):
        files = find(pkg, pattern)
        if files:
            out.append(asset(key, files[0].path, kind, title))
    return out


class SasmacReader(NamedReader[Identity]):
    name = "sasmac"
    kind = "a SASMAC product name"

    def parse(self, name: str) -> Identity | None:
        return identify(name)

    def read_named(self, pkg: PackageContents, name: str, found: Identity) -> Product:
        sat = satellite(found.satellite)
        sensor = sensor_of(sat, found)
        candidates = [m for m in find(pkg, "*.xml") if not m.name.lower().endswith(".aux.xml")]
        if not candidates:
            raise MissingMetadata(f"{pkg.name}: no metadata XML (<name>.xml) in the package")
        docs = [(m.path, read_xml(pkg, m)) for m in candidates]
        meta = next(((path, doc) for path, doc in docs if doc.tag.lower() == ROOT), None)
        if meta is None:
            raise InvalidMetadata(f"{pkg.name}: no XML file in the package has a {ROOT} root element")
        scene = read_scene(meta[1], meta[0])
        ref = CollectionRef(sat.id, sensor.id, scene.level or "SC")
        properties = scene_properties([scene], pkg.name)
        properties.update(
            {
                "processing:level": ref.level,
                "instruments": [sensor.id],
                "eo:bands": eo_bands_for(sat.id, sensor.id, [], part=found.part, panchromatic=found.panchromatic),
                "eonode:camera": found.camera if found.camera.lower() != sensor.id else None,
            }
        )
        item = stac_item(name, ref, geometry([scene.footprint]), properties)
        images = [m.path for m in find(pkg, "*.tif*")]
        return Product(item, ref, _assets(pkg, meta[0]), images)


READER = SasmacReader()
