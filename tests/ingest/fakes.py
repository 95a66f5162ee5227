"""An in-memory package for reader tests, and access to the real vendor metadata fixtures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from eonode.catalog.documents import prepare_item
from eonode.errors import MalformedPackage
from eonode.ingest.model import SMALL_MEMBER_LIMIT, Member, PackageContents, Product
from eonode.ingest.readers import reader_for

# /work/main/tests/ingest/fakes.py → /work/shared/fixtures/real-metadata (the repo and shared/ are siblings)
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real-metadata"


class DictPackage:
    """A package whose members are held in a dict of path → bytes."""

    def __init__(self, name: str, files: Mapping[str, bytes]) -> None:
        self._name = name
        self._files = dict(files)

    @property
    def name(self) -> str:
        return self._name

    @property
    def members(self) -> Sequence[Member]:
        return [Member(path, len(data)) for path, data in self._files.items()]

    def read(self, member: Member | str) -> bytes:
        path = member if isinstance(member, str) else member.path
        if path not in self._files:
            raise MalformedPackage(f"{self._name}: no member {path}")
        if len(self._files[path]) > SMALL_MEMBER_LIMIT:
            raise MalformedPackage(f"{self._name}: {path} is too large to read")
        return self._files[path]


def fixture(tagged: str) -> tuple[str, bytes]:
    """A real fixture by its full file name (``<tag>__<name>``): its name inside a package, and its bytes."""
    path = FIXTURES / tagged
    return tagged.split("__", 1)[1], path.read_bytes()


def fixture_package(name: str, tagged: Iterable[str], extra: Mapping[str, bytes] | None = None) -> DictPackage:
    """A package named ``name`` holding these fixtures (under their inner names) and extra files."""
    files = dict(fixture(t) for t in tagged)
    files.update(extra or {})
    return DictPackage(name, files)


def read(pkg: PackageContents) -> Product:
    """Read a package with the reader chosen for its name, and check the item is catalogue-ready."""
    product = reader_for(pkg.name).read(pkg)
    prepare_item(product.item)
    return product


def props(product: Product) -> dict[str, Any]:
    properties: dict[str, Any] = product.item["properties"]
    return properties


def asset_keys(product: Product) -> dict[str, str]:
    """Asset key → member path."""
    return {a.key: a.member for a in product.assets}


# -- the real fixtures, grouped into the packages they came from ----------------------------------
GF1_PMS = "GF1_PMS1_E69.4_N33.3_20220624_L1A0006547030"
GF1_WFV = "GF1_WFV3_E89.0_N23.9_20200523_L1A0004819525"
GF2_2020 = "GF2_PMS1_W91.0_N17.6_20200510_L1A0004793969"
GF2_2018 = "GF2_PMS2_E120.2_S0.0_20181002_L1A0003492622"
GF2_2023 = "GF2_PMS2_W72.3_S36.7_20230213_L1A2147483647"
GF3_FSI = "GF3_SAY_FSI_023228_W65.3_S18.7_20210107_L2_HHHV_L20005379609"
GF3_UFS = "GF3_MYN_UFS_029108_W43.3_S22.7_20220219_L2_DH_L20006303810"
GF4_PMI = "GF4_PMI_E119.9_N10.2_20250723_L1A0000773662"
CBERS4_MUX = "CBERS_4_MUX_20201031_003_073_L2_BAND5"
CBERS4A_WPM = "CBERS_4A_WPM_20200730_209_139_L4_BAND0"

REAL_PACKAGES: dict[str, list[str]] = {
    GF1_PMS: [
        f"gf1-pms1-mss__{GF1_PMS}-MSS1.xml",
        f"gf1-pms1-pan__{GF1_PMS}-PAN1.xml",
        f"gf1-pms1-mss-rpc__{GF1_PMS}-MSS1.rpb",
    ],
    GF1_WFV: [f"gf1-wfv3__{GF1_WFV}.xml", f"gf1-wfv3-rpc__{GF1_WFV}.rpb"],
    GF2_2020: [f"gf2-pms1-mss__{GF2_2020}-MSS1.xml", f"gf2-pms1-pan__{GF2_2020}-PAN1.xml"],
    GF2_2018: [f"gf2-pms2-mss__{GF2_2018}-MSS2.xml"],
    GF2_2023: [
        f"gf2-pms2-mss-2023fmt__{GF2_2023}-MSS2.xml",
        f"gf2-pms2-pan-2023fmt__{GF2_2023}-PAN2.xml",
        f"gf2-pms2-scene-2023fmt__{GF2_2023}.xml",
        "gf2-pms2-order-2023fmt__order.xml",
        f"gf2-pms2-pan-rpc-2023fmt__{GF2_2023}-PAN2.rpb",
    ],
    GF3_FSI: [f"gf3-sar-fsi-l2__{GF3_FSI}.meta.xml"],
    GF3_UFS: [f"gf3-sar-ufs-l2__{GF3_UFS}.meta.xml"],
    GF4_PMI: [
        "gf4-pmi-pms__GF4_PMS_E119.9_N10.2_20250723_L1A0000773662.xml",
        "gf4-pmi-irs__GF4_IRS_E119.9_N10.2_20250723_L1A0000773662.xml",
        "gf4-pmi-pms-rpc__GF4_PMS_E119.9_N10.2_20250723_L1A0000773662.rpb",
    ],
    CBERS4_MUX: [f"cbers4-mux-inpe__{CBERS4_MUX}.xml"],
    CBERS4A_WPM: [f"cbers4a-wpm-inpe__{CBERS4A_WPM}.xml"],
}


def real_package(name: str, extra: Mapping[str, bytes] | None = None) -> DictPackage:
    """One of REAL_PACKAGES, plus extra (e.g. image and quicklook) files."""
    return fixture_package(name, REAL_PACKAGES[name], extra)


# -- synthetic CRESDA ProductMetaData files (element names of product-formats §4.1) ----------------
CLASSIC_FIELDS: dict[str, str | None] = {
    "SatelliteID": "GF1", "SensorID": "PMS1", "ReceiveTime": "2022-06-24 05:39:09", "OrbitID": "49375",
    "ProduceType": "STANDARD", "SceneID": "10306610", "ProductID": "6547030", "ProductLevel": "LEVEL1A",
    "ProductQuality": None, "ProductQualityReport": None, "ProductFormat": "GEOTIFF",
    "ProduceTime": "2022-06-27 08:56:44", "Bands": "1,2,3,4", "ScenePath": "77", "SceneRow": "100",
    "SatPath": "77", "SatRow": "100", "SceneCount": "1", "SceneShift": "1",
    "StartTime": "2022-06-24 13:39:07", "EndTime": "2022-06-24 13:39:12", "CenterTime": "2022-06-24 13:39:09",
    "ImageGSD": "8", "WidthInPixels": "4548", "HeightInPixels": "4503", "WidthInMeters": None,
    "HeightInMeters": None, "CloudPercent": "0", "QualityInfo": None, "PixelBits": None, "ValidPixelBits": None,
    "RollViewingAngle": "0", "PitchViewingAngle": "0", "RollSatelliteAngle": "-1.76003",
    "PitchSatelliteAngle": "0.000157647", "YawSatelliteAngle": "3.1829", "SolarAzimuth": "106.266",
    "SolarZenith": "25.1707", "SatelliteAzimuth": "90.3444", "SatelliteZenith": "86.267",
    "GainMode": "G4,G2,G0,G4", "IntegrationTime": "0.00114321", "IntegrationLevel": "S5,S4,S5,S3",
    "MapProjection": None, "EarthEllipsoid": None, "ZoneNo": None, "ResamplingKernel": None, "HeightMode": None,
    "MtfCorrection": "LAB", "RelativeCorrectionData": None,
    "TopLeftLatitude": "33.5025", "TopLeftLongitude": "69.2392", "TopRightLatitude": "33.432",
    "TopRightLongitude": "69.6147", "BottomRightLatitude": "33.1053", "BottomRightLongitude": "69.527",
    "BottomLeftLatitude": "33.1757", "BottomLeftLongitude": "69.153",
    "TopLeftMapX": None, "TopLeftMapY": None, "TopRightMapX": None, "TopRightMapY": None,
    "BottomRightMapX": None, "BottomRightMapY": None, "BottomLeftMapX": None, "BottomLeftMapY": None,
}  # fmt: skip
DROP = "<drop>"


def productmeta_xml(encoding: str = "UTF-8", **fields: str | None) -> bytes:
    """A flat ProductMetaData file: the classic fields, changed, dropped (value DROP) or added by ``fields``.
    Empty values are written ``<X />``, the way vendors write them."""
    values = {**CLASSIC_FIELDS, **fields}
    lines = [f'<?xml version="1.0" encoding="{encoding}" ?>', "<ProductMetaData>"]
    for tag, value in values.items():
        if value == DROP:
            continue
        lines.append(f"    <{tag} />" if value is None else f"    <{tag}>{value}</{tag}>")
    lines.append("</ProductMetaData>")
    return ("\n".join(lines) + "\n").encode(encoding)


def corners(
    tl: tuple[float, float], tr: tuple[float, float], br: tuple[float, float], bl: tuple[float, float]
) -> dict[str, str]:
    """ProductMetaData corner fields from (lon, lat) pairs."""
    out = {}
    for label, (lon, lat) in zip(("TopLeft", "TopRight", "BottomRight", "BottomLeft"), (tl, tr, br, bl), strict=True):
        out[f"{label}Latitude"], out[f"{label}Longitude"] = str(lat), str(lon)
    return out
