"""Thematic Level-2 products (eonode's own format): land cover, SST, chlorophyll and the like.

Name ``<SAT>_<SENSOR>_<THEME>_<LEVEL>_<START>[_<END>][_<AREA>]`` (``HY1C_COCTS_SST_L2B_20240501``,
``GF1_WFV_LC_L2C_20230101_20231231_CN``). The package holds ``<name>.tif`` (GeoTIFF/COG) or
``<name>.nc``, a JSON sidecar ``<name>.json`` that carries everything the catalogue needs, and
optionally ``<name>.jpg`` and ``<name>_thumb.jpg``. The sidecar must agree with the name: a
disagreement means a mislabelled product, which is worse than none.

A thematic product covers a period, so the item has ``start_datetime``/``end_datetime`` and a
null ``datetime``, as STAC asks for composites.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import shapely
import shapely.geometry
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from eonode.errors import EonodeError, InvalidMetadata, MalformedPackage, MissingMetadata
from eonode.ingest.model import AssetSpec, CollectionRef, PackageContents, Product, find
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import asset, stac_item
from eonode.models.temporal import parse_instant
from eonode.satellites import satellite, theme

THEME_TOKENS = {
    "LC": "land-cover",
    "LU": "land-use",
    "CI": "cropping-index",
    "AGB": "forest-biomass",
    "GNPP": "grassland-npp",
    "SST": "sst",
    "PAR": "par",
    "SDD": "transparency",
    "CHL": "chlorophyll",
    "ONPP": "ocean-npp",
}
NAME = re.compile(
    rf"^(?P<sat>[A-Z][A-Z0-9]+)_(?P<sensor>[A-Z][A-Z0-9]*)_(?P<theme>{'|'.join(THEME_TOKENS)})_(?P<level>L2[ABC])"
    r"_(?P<start>\d{8})(?:_(?P<end>\d{8}))?(?:_(?P<area>[A-Z][A-Z0-9]*))?$"
)
REQUIRED = ("theme", "satellite", "sensor", "level", "start", "end", "bbox")
# optional sidecar fields copied to item properties
OPTIONAL = {
    "variable": "eonode:variable",
    "unit": "eonode:unit",
    "scale_factor": "eonode:scale_factor",
    "add_offset": "eonode:add_offset",
    "nodata": "eonode:nodata",
    "producer": "eonode:producer",
    "algorithm": "eonode:algorithm",
    "version": "processing:version",
    "title": "title",
    "product": "eonode:product_id",
}


def load_sidecar(pkg: PackageContents, path: str) -> dict[str, Any]:
    where = f"{pkg.name}: {path}"
    try:
        doc = orjson.loads(pkg.read(path))
    except orjson.JSONDecodeError as exc:
        raise InvalidMetadata(f"{where} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise InvalidMetadata(f"{where} must hold a JSON object")
    missing = [field for field in REQUIRED if doc.get(field) in (None, "")]
    if missing:
        raise InvalidMetadata(f"{where}: required field(s) {', '.join(missing)} missing")
    return doc


def footprint(doc: dict[str, Any], where: str) -> BaseGeometry:
    bbox = doc["bbox"]
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, int | float) for v in bbox)):
        raise InvalidMetadata(f"{where}: bbox must be [minx, miny, maxx, maxy]")
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidMetadata(f"{where}: bbox {bbox} is not a longitude/latitude box")
    if doc.get("footprint") is None:
        return orient(box(minx, miny, maxx, maxy), sign=1.0)
    try:
        shape = shapely.geometry.shape(doc["footprint"])
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidMetadata(f"{where}: footprint is not a GeoJSON geometry ({exc})") from None
    if shape.geom_type not in ("Polygon", "MultiPolygon") or not shape.is_valid or shape.is_empty:
        raise InvalidMetadata(f"{where}: footprint must be a valid Polygon or MultiPolygon")
    if isinstance(shape, Polygon):
        return orient(shape, sign=1.0)
    return shapely.geometry.MultiPolygon([orient(p, sign=1.0) for p in shape.geoms])


def _check(where: str, field: str, given: str, expected: str) -> None:
    if given != expected:
        raise InvalidMetadata(f"{where}: {field} {given!r} disagrees with the product name ({expected!r})")


class ThematicReader(NamedReader[re.Match[str]]):
    name = "thematic-l2"
    priority = 50  # its names are specific; ask it before the broad families
    kind = "a thematic product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return NAME.match(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        sidecar = find(pkg, f"{name}.json") or find(pkg, "*.json")
        if not sidecar:
            raise MissingMetadata(f"{pkg.name}: no sidecar {name}.json in the package")
        where = f"{pkg.name}: {sidecar[0].path}"
        doc = load_sidecar(pkg, sidecar[0].path)
        sat = satellite(str(doc["satellite"]))
        sensor = sat.sensor(str(doc["sensor"]))
        th = theme(str(doc["theme"]))
        _check(where, "theme", th.id, THEME_TOKENS[m["theme"]])
        _check(where, "satellite", sat.id, satellite(m["sat"]).id)
        _check(where, "sensor", sensor.id, sat.sensor(m["sensor"]).id)
        _check(where, "level", str(doc["level"]).upper(), m["level"])
        try:
            start, end = parse_instant(str(doc["start"])), parse_instant(str(doc["end"]))
        except EonodeError as exc:
            raise InvalidMetadata(f"{where}: {exc.description}") from None
        if start > end:
            raise InvalidMetadata(f"{where}: start is after end")
        images = [x.path for x in find(pkg, f"{name}.tif") + find(pkg, f"{name}.tiff") + find(pkg, f"{name}.nc")]
        if not images:
            raise MalformedPackage(f"{pkg.name}: no data file ({name}.tif or {name}.nc) in the package")
        gsd = doc.get("resolution_m")
        if gsd is not None and (not isinstance(gsd, int | float) or isinstance(gsd, bool) or gsd <= 0):
            raise InvalidMetadata(f"{where}: resolution_m must be a positive number of metres")
        ref = CollectionRef(sat.id, sensor.id, m["level"], theme=th.id)
        properties: dict[str, Any] = {
            "start_datetime": start,
            "end_datetime": end,
            "instruments": [sensor.id],
            "gsd": gsd,
            "processing:level": m["level"],
            "eonode:theme": th.id,
            "eonode:area": m["area"],
            "eonode:unit": th.unit,
        }
        properties.update({prop: doc[field] for field, prop in OPTIONAL.items() if doc.get(field) is not None})
        geojson: dict[str, Any] = orjson.loads(shapely.to_geojson(footprint(doc, where)))
        item = stac_item(name, ref, geojson, properties)
        return Product(item, ref, self._assets(pkg, name, sidecar[0].path, images[0]), images)

    @staticmethod
    def _assets(pkg: PackageContents, name: str, sidecar: str, image: str) -> list[AssetSpec]:
        # The gridded file is an asset of its own: a COG is read in place with HTTP range requests.
        if image.lower().endswith(".nc"):
            grid = asset("netcdf", image, "netcdf", "Gridded product (NetCDF)")
        else:
            grid = asset("cog", image, "cog", "Gridded product (Cloud-Optimized GeoTIFF)")
        out = [grid, asset("metadata", sidecar, "json", "Product description (sidecar)")]
        for suffix, kind, title in ((".jpg", "browse", "Browse image"), ("_thumb.jpg", "thumbnail", "Thumbnail")):
            files = find(pkg, name + suffix)
            if files:
                out.append(asset(kind, files[0].path, kind, title))
        return out


READER = ThematicReader()
