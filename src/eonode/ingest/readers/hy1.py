"""HY-1C/1D ocean-colour products (COCTS, CZI): ``H1C_OPER_OCT_L1B_…`` (product-formats §2.11, §4.4).

The ``<base>.meta.xml`` has a ``ProductMetaData`` root like CRESDA files but is nested (groups
``SatelliteInfo``, ``QualityInfo``, ``ProductInfo``, ``ImageInfo``), and its times are UTC. The
corner leaves are spelt ``Latitude`` by one processor and ``TopLeft_Latitude`` by another; both
are read. Data come as HDF5, sometimes with a GeoTIFF (listed first: it renders a quicklook).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from eonode.errors import InvalidMetadata, MissingMetadata
from eonode.ingest.model import AssetSpec, CollectionRef, PackageContents, Product, find
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import (
    asset,
    bounded,
    cloud_cover,
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
    r"^(?P<sat>H1[CD])_OPER_(?P<sensor>[A-Z]{3})_(?P<level>L\d[A-Z])_(?P<rest>[0-9A-Za-z_]+)$",
)
_FIRST_TIME = re.compile(r"(?<![0-9])(\d{8}[Tt]\d{6})")
_CORNERS = ("TopLeft", "TopRight", "BottomRight", "BottomLeft")
_ORBIT_STATE = {"A": "ascending", "D": "descending", "升": "ascending", "降": "descending"}
_UNIT_M = re.compile(r"^\s*([0-9.]+)\s*(km|m)?\s*$", re.IGNORECASE)


def resolution_m(text: str | None, where: str) -> float | None:
    """``1100``, ``1100m``, ``1.1km`` → metres."""
    if text is None:
        return None
    m = _UNIT_M.match(text)
    if m is None:
        raise InvalidMetadata(f"{where}: ProductInfo/Resolution = {text!r} is not a distance")
    value = float(m[1])
    return value * 1000 if (m[2] or "").lower() == "km" else value


def _corners(doc: Node) -> list[tuple[float, float]]:
    out = []
    for c in _CORNERS:
        lat = doc.number(f"ImageInfo/Corners/{c}/Latitude|{c}_Latitude", f"ImageInfo/Corners/{c}_Latitude")
        lon = doc.number(f"ImageInfo/Corners/{c}/Longitude|{c}_Longitude", f"ImageInfo/Corners/{c}_Longitude")
        if lat is None or lon is None:
            raise InvalidMetadata(f"{doc.where}: ImageInfo/Corners/{c} has no latitude/longitude")
        out.append((lon, lat))
    return out


def read_meta(doc: Node, path: str, name_start: datetime | None) -> Scene:
    def utc(field: str) -> datetime | None:
        return parse_time(doc.text(field), UTC, doc.where, field)

    off_nadir = doc.number("SatelliteInfo/SatOffNadir")
    flag = (doc.text("SatelliteInfo/OrbitFlag") or " ")[0].upper()
    return Scene(
        path=path,
        part=None,
        footprint=quad(_corners(doc), doc.where),
        center=utc("ImageInfo/CentreTime|CenterTime"),
        start=utc("ImageInfo/StartTime") or name_start,
        end=utc("ImageInfo/EndTime"),
        gsd=resolution_m(doc.text("ProductInfo/Resolution|SpatialResolution"), doc.where),
        cloud=cloud_cover(doc.number("QualityInfo/CloudPercent")),
        level=processing_level(doc.text("ProductInfo/ProductLevel")),
        produced=utc("ProductInfo/ProduceTime"),
        off_nadir=None if off_nadir is None else bounded(abs(off_nadir), 0.0, 90.0),
        scene_id=doc.identifier("SceneID"),
        orbit=doc.integer("OrbitID"),
        orbit_state=_ORBIT_STATE.get(flag),
        station=doc.text("ReceiveStation"),
    )


def _assets(pkg: PackageContents, meta: str) -> list[AssetSpec]:
    out = [asset("metadata", meta, "metadata", "Product metadata")]
    thumbs = find(pkg, "*_thumb.jpg")
    browses = [m for m in find(pkg, "*.jpg") if m not in thumbs]
    if browses:
        out.append(asset("browse", browses[0].path, "browse", "Browse image"))
    if thumbs:
        out.append(asset("thumbnail", thumbs[0].path, "thumbnail", "Thumbnail"))
    return out


class Hy1Reader(NamedReader[re.Match[str]]):
    name = "hy1-ocean-colour"
    kind = "a HY-1C/1D product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return NAME.match(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        sat = satellite(m["sat"])
        sensor = sat.sensor(m["sensor"])
        metas = find(pkg, "*.meta.xml") or [x for x in find(pkg, "*.xml") if not x.name.lower().endswith(".aux.xml")]
        if not metas:
            raise MissingMetadata(f"{pkg.name}: no metadata file (<name>.meta.xml) in the package")
        doc = read_xml(pkg, metas[0])
        if doc.tag.lower() != "productmetadata":
            raise InvalidMetadata(f"{doc.where}: the root element is {doc.tag}, not ProductMetaData")
        first = _FIRST_TIME.search(m["rest"])
        name_start = parse_time(first[1] if first else None, UTC, pkg.name, "the name's start time")
        scene = read_meta(doc, metas[0].path, name_start)
        level = scene.level or m["level"]
        ref = CollectionRef(sat.id, sensor.id, level)
        properties = scene_properties([scene], pkg.name)
        properties.update(
            {
                "processing:level": level,
                "instruments": [sensor.id],
                "eo:bands": eo_bands_for(sat.id, sensor.id, [], panchromatic=False),
            }
        )
        item = stac_item(name, ref, geometry([scene.footprint]), properties)
        images = [x.path for x in find(pkg, "*.tif*")] + [x.path for x in find(pkg, "*.h5") + find(pkg, "*.hdf")]
        return Product(item, ref, _assets(pkg, metas[0].path), images)


READER = Hy1Reader()
