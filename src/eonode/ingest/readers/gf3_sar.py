"""GF-3 C-band SAR products: ``<base>.meta.xml`` with a ``product`` root (product-formats §2.3, §4.2).

Times are UTC. There is no cloud cover (radar). The processing level is the one the name states
(``L1A``, ``L1B``, ``L2``); the XML's ``productLevel`` digit is only a fallback, refined by the
product type (SLC → L1A, detected → L1B), because both real level-2 files call themselves ``SLP``.
Polarisations are the channels the XML calibrates (``CalibrationConst``/``QualifyValue`` not
``NULL``): the name's group is ambiguous (``DH`` packages hold HH only).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from eonode.errors import InvalidMetadata
from eonode.ingest.model import AssetSpec, CollectionRef, PackageContents, Product, require
from eonode.ingest.readers._base import NamedReader
from eonode.ingest.readers._common import (
    asset,
    bounded,
    geometry,
    parse_time,
    processing_level,
    quad,
    stac_item,
)
from eonode.ingest.readers._members import classify, of_kind
from eonode.ingest.readers._xml import Node, read_xml
from eonode.satellites import satellite

NAME = re.compile(
    r"^(?P<sat>GF3[BC]?)_(?P<station>[A-Z]{2,3})_(?P<mode>SL|UFS|FSI|FSII|SS|QPSI|QPSII|NSC|WSC|WAV|GLO|EXT)"
    r"_(?P<orbit>\d{6})_[EW]\d{1,3}\.\d_[NS]\d{1,2}\.\d_(?P<date>\d{8})_(?P<level>L1A|L1B|L2)"
    r"_(?P<pol>AHV|HHHV|HVHH|VVVH|VHVV|DH|DV|HH|HV|VH|VV)_L(?P<digit>[12])(?P<pid>\d{10})$"
)
POLS = ("HH", "HV", "VH", "VV")
# When the XML lists no channel: what the name's group stands for (DH/DV: the one co-polarised
# channel, as in the real UFS package).
GROUP_POLS = {"AHV": POLS, "DH": ("HH",), "DV": ("VV",)}
_POL_IN_NAME = re.compile(r"_(HH|HV|VH|VV)_")
_ORBIT_STATE = {"DEC": "descending", "DES": "descending", "ASC": "ascending"}
_LOOK = {"R": "right", "L": "left"}


def polarizations(doc: Node, group: str) -> list[str]:
    for parent in ("processinfo/CalibrationConst", "imageinfo/QualifyValue"):
        found = [p for p in POLS if doc.text(f"{parent}/{p}") is not None]
        if found:
            return found
    if group in GROUP_POLS:
        return list(GROUP_POLS[group])
    return [group[i : i + 2] for i in range(0, len(group), 2)]


def level_of(doc: Node, name_level: str | None) -> str:
    if name_level:
        return name_level
    digit = processing_level(doc.text("productinfo/productLevel")) or "L1"
    if digit == "L1":
        return "L1A" if (doc.text("productinfo/productType") or "").upper() == "SLC" else "L1B"
    return digit


def sar_properties(doc: Node, pols: list[str]) -> dict[str, object]:
    near = doc.number("processinfo/incidenceAngleNearRange")
    far = doc.number("processinfo/incidenceAngleFarRange")
    incidence = (near + far) / 2 if near is not None and far is not None else near or far
    looks_range, looks_azimuth = doc.integer("processinfo/MultilookRange"), doc.integer("processinfo/MultilookAzimuth")
    return {
        "sar:instrument_mode": doc.require("sensor/imagingMode"),
        "sar:frequency_band": "C",
        "sar:center_frequency": doc.number("sensor/RadarCenterFrequency"),
        "sar:polarizations": pols,
        "sar:product_type": doc.text("productinfo/productType"),
        "sar:observation_direction": _LOOK.get((doc.text("sensor/lookDirection") or "").upper()),
        "sar:looks_range": looks_range,
        "sar:looks_azimuth": looks_azimuth,
        "sar:pixel_spacing_range": doc.number("imageinfo/widthspace"),
        "sar:pixel_spacing_azimuth": doc.number("imageinfo/heightspace"),
        "view:incidence_angle": bounded(incidence, 0.0, 90.0),
        "view:off_nadir": bounded(doc.number("sensor/waveParams/wave/centerLookAngle"), 0.0, 90.0),
    }


def _corners(doc: Node) -> list[tuple[float, float]]:
    out = []
    for corner in ("topLeft", "topRight", "bottomRight", "bottomLeft"):
        lon = doc.number(f"imageinfo/corner/{corner}/longitude")
        lat = doc.number(f"imageinfo/corner/{corner}/latitude")
        if lon is None or lat is None:
            raise InvalidMetadata(f"{doc.where}: imageinfo/corner/{corner} has no latitude/longitude")
        out.append((lon, lat))
    return out


def _assets(pkg: PackageContents, meta: str, pols: list[str]) -> list[AssetSpec]:
    entries = classify(pkg, "")
    out = [asset("metadata", meta, "metadata", "Product metadata")]
    out += [
        asset("metadata-incidence", e.path, "metadata", "Incidence angles")
        for e in of_kind(entries, "xml")
        if e.name.lower().endswith(".incidence.xml")
    ][:1]

    def pol_of(name: str) -> str:
        m = _POL_IN_NAME.search(name.upper())
        return m[1] if m else ""

    lead = pols[0]
    for e in of_kind(entries, "rpc"):
        pol = pol_of(e.name)
        key = "rpc" if pol in (lead, "") else f"rpc-{pol.lower()}"
        out.append(asset(key, e.path, "rpc", f"Rational polynomial coefficients ({pol or 'image'})"))
    for kind, title in (("browse", "Browse image"), ("thumbnail", "Thumbnail")):
        files = sorted(of_kind(entries, kind), key=lambda e: (pol_of(e.name) != lead, e.path))
        if files:
            out.append(asset(kind, files[0].path, kind, title))
    return out


class Gf3SarReader(NamedReader[re.Match[str]]):
    name = "gf3-sar"
    kind = "a GF-3 SAR product name"

    def parse(self, name: str) -> re.Match[str] | None:
        return NAME.match(name)

    def read_named(self, pkg: PackageContents, name: str, m: re.Match[str]) -> Product:
        meta = require(pkg, "*.meta.xml", "GF-3 metadata file")
        doc = read_xml(pkg, meta)
        if doc.tag.lower() != "product":
            raise InvalidMetadata(f"{doc.where}: the root element is {doc.tag}, not product")
        sat = satellite(m["sat"])
        sensor = sat.sensor("sar")
        ref = CollectionRef(sat.id, sensor.id, level_of(doc, m["level"]))

        def utc(path: str) -> datetime | None:
            return parse_time(doc.text(path), UTC, doc.where, path)

        center = utc("platform/CenterTime")
        start, end = utc("imageinfo/imagingTime/start"), utc("imageinfo/imagingTime/end")
        if center is None and start is None:
            raise InvalidMetadata(f"{doc.where}: platform/CenterTime and imageinfo/imagingTime are missing")
        pols = polarizations(doc, m["pol"])
        properties = {
            "datetime": center or start,
            "start_datetime": start,
            "end_datetime": end,
            "instruments": [sensor.id],
            "gsd": doc.number("productinfo/NominalResolution") or doc.number("imageinfo/widthspace"),
            "processing:level": ref.level,
            "processing:datetime": utc("productinfo/productGentime"),
            "sat:absolute_orbit": doc.integer("orbitID") or int(m["orbit"]),
            "sat:orbit_state": _ORBIT_STATE.get((doc.text("Direction") or "").upper()[:3]),
            **sar_properties(doc, pols),
            "eonode:product_id": doc.identifier("productID") or m["pid"].lstrip("0"),
            "eonode:scene_id": doc.identifier("sceneID"),
            "eonode:receiving_station": doc.text("Station") or m["station"],
        }
        footprint = geometry([quad(_corners(doc), doc.where)])
        item = stac_item(name, ref, footprint, properties)
        images = [e.path for e in of_kind(classify(pkg, ""), "image")]
        return Product(item, ref, _assets(pkg, meta.path, pols), images)


READER = Gf3SarReader()
