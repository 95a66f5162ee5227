"""The synthetic package generator: names, members, XML layouts and quirks, rasters, RPBs, determinism.

Expectations are written from docs/product-formats.md (the same document the readers follow), not
from the generator's code, so a drift on either side shows up here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import tarfile
import tracemalloc
import warnings
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import defusedxml.ElementTree as ET
import numpy as np
import pytest
import rasterio
import typer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import RPCTransformer
from typer.testing import CliRunner

from eonode.cli.demo_data import demo_data
from eonode.demo.packages import FAMILIES, generate, generate_package, make_large_package
from eonode.demo.pkg_geo import hemi_lat, hemi_lon, sun_angles

REQUIRED = {
    "gf1-pms", "gf1-wfv", "gf1bcd-pms", "gf2-pms", "gf4-pmi", "gf6-pms", "gf6-wfv", "gf7-dlc", "zy3-cresda",
    "zy3-sasmac", "zy1e-vnic", "cbers4-cresda", "cbers-inpe", "hy1-cocts", "hy1-czi", "gf3-sar", "thematic",
}  # fmt: skip

# One package per variant worth checking: (family, index).
CASES = [
    ("gf1-pms", 0), ("gf1-pms", 1), ("gf1-wfv", 2), ("gf1bcd-pms", 0), ("gf2-pms", 0), ("gf2-pms", 2),
    ("gf2-pms", 5), ("gf4-pmi", 0), ("gf6-pms", 0), ("gf6-wfv", 0), ("gf7-dlc", 0), ("gf7-dlc", 3),
    ("zy3-cresda", 0), ("zy3-cresda", 1), ("zy3-cresda", 7), ("zy3-sasmac", 0), ("zy1e-vnic", 0),
    ("cbers4-cresda", 0), ("cbers-inpe", 0), ("cbers-inpe", 1), ("hy1-cocts", 0), ("hy1-czi", 1),
    ("gf3-sar", 0), ("gf3-sar", 2), ("thematic", 0), ("thematic", 2), ("thematic", 3), ("thematic", 10),
]  # fmt: skip

# §1.1 regexes, written out again here.
CRESDA = re.compile(
    r"^(?P<sat>GF[124567][BCD]?|ZY3|ZY30[23]|ZY02C|ZY1[EF]|CB04A|HJ2[AB])_(?P<sensor>[A-Z][A-Z0-9]{1,4})"
    r"_(?P<lon_h>[EW])(?P<lon>\d{1,3}\.\d{1,2})_(?P<lat_h>[NS])(?P<lat>\d{1,2}\.\d{1,2})_(?P<date>\d{8})"
    r"(?:_(?P<orbit>\d{6}))?_(?P<level>L\d[A-Z]?)(?P<pid>\d{10,11})(?:-(?P<part>[A-Z0-9]+))?$"
)
GF3 = re.compile(
    r"^GF3[BC]?_(?P<station>[A-Z]{2,3})_(?P<mode>SL|UFS|FSI|FSII|SS|QPSI|QPSII|NSC|WSC|WAV|GLO|EXT)"
    r"_(?P<orbit>\d{6})_(?P<lon_h>[EW])(?P<lon>\d{1,3}\.\d)_(?P<lat_h>[NS])(?P<lat>\d{1,2}\.\d)"
    r"_(?P<date>\d{8})_(?P<level>L1A|L1B|L2)_(?P<pol>AHV|HHHV|HVHH|VVVH|VHVV|DH|DV|HH|HV|VH|VV)"
    r"_L(?P<digit>[12])(?P<pid>\d{10})$"
)
NAMES = {
    "cbers4-cresda": re.compile(r"^CB04-(MUX|P10|P5M)-\d{1,3}-\d{1,3}-B2-\d{8}-L2\d{10}$"),
    "cbers-inpe": re.compile(r"^CBERS_(4|4A)_(MUX|WPM)_\d{8}_\d{3}_\d{3}_L[24]$"),
    "hy1-cocts": re.compile(r"^H1[CD]_OPER_OCT_L1B_\d{8}T\d{6}_\d{8}T\d{6}_\d{5}_10$"),
    "hy1-czi": re.compile(r"^H1[CD]_OPER_CZI_L1B_\d{8}T\d{6}_\d{5}_10$"),
    "zy3-sasmac": re.compile(r"^zy30[123]a_(nad|fwd|bwd|mux)_\d{6}_\d{6}_\d{14}_01_sec_\d{4}_\d{10}$"),
    "thematic": re.compile(
        r"^(HY1C|HY1D|GF1|GF6)_(COCTS|CZI|WFV)_(LC|LU|CI|AGB|GNPP|SST|PAR|SDD|CHL|ONPP)_L2[ABC]_\d{8}(_\d{8})?"
        r"(_[A-Z]+)?$"
    ),
}

CORNERS = [f"{c}{a}" for c in ("TopLeft", "TopRight", "BottomRight", "BottomLeft") for a in ("Latitude", "Longitude")]
MAPXY = [f"{c}Map{a}" for c in ("TopLeft", "TopRight", "BottomRight", "BottomLeft") for a in ("X", "Y")]
CLASSIC_66 = [
    "SatelliteID", "SensorID", "ReceiveTime", "OrbitID", "ProduceType", "SceneID", "ProductID", "ProductLevel",
    "ProductQuality", "ProductQualityReport", "ProductFormat", "ProduceTime", "Bands", "ScenePath", "SceneRow",
    "SatPath", "SatRow", "SceneCount", "SceneShift", "StartTime", "EndTime", "CenterTime", "ImageGSD",
    "WidthInPixels", "HeightInPixels", "WidthInMeters", "HeightInMeters", "CloudPercent", "QualityInfo", "PixelBits",
    "ValidPixelBits", "RollViewingAngle", "PitchViewingAngle", "RollSatelliteAngle", "PitchSatelliteAngle",
    "YawSatelliteAngle", "SolarAzimuth", "SolarZenith", "SatelliteAzimuth", "SatelliteZenith", "GainMode",
    "IntegrationTime", "IntegrationLevel", "MapProjection", "EarthEllipsoid", "ZoneNo", "ResamplingKernel",
    "HeightMode", "MtfCorrection", "RelativeCorrectionData", *CORNERS, *MAPXY,
]  # fmt: skip
GF4_68 = [*CLASSIC_66[:41], "Gain", "Bias", *CLASSIC_66[41:]]
GEN2023_82 = [
    "SatelliteID", "ReceiveStationID", "SensorID", "ReceiveTime", "OrbitID", "OrbitType", "AttType", "StripID",
    "ProduceType", "SceneID", "DDSFlag", "ProductID", "ProductQuality", "ProductQualityReport", "ProductLevel",
    "ProductFormat", "ProduceTime", "Bands", "ScenePath", "SceneRow", "SatPath", "SatRow", "SceneCount", "SceneShift",
    "StartTime", "EndTime", "CenterTime", "StartLine", "EndLine", "ImageGSD", "WidthInPixels", "HeightInPixels",
    "WidthInMeters", "HeightInMeters", "RegionName", "CloudPercent", "DataSize", "RollViewingAngle",
    "PitchViewingAngle", "RollSatelliteAngle", "PitchSatelliteAngle", "YawSatelliteAngle", "SolarAzimuth",
    "SolarZenith", "SatelliteAzimuth", "SatelliteZenith", "GainMode", "IntegrationTime", "IntegrationLevel",
    "MapProjection", "EarthEllipsoid", "ZoneNo", "ResamplingKernel", "HeightMode", "EphemerisData", "AttitudeData",
    "RadiometricMethod", "MtfCorrection", "Denoise", "RayleighCorrection", "UsedGCPNo", "CenterLatitude",
    "CenterLongitude", *CORNERS, *MAPXY, "DataArchiveFile", "BrowseFileLocation", "ThumbFileLocation",
]  # fmt: skip
FIXTURES = Path("/work/shared/fixtures/real-metadata")
BJ = "%Y-%m-%d %H:%M:%S"


# -- helpers -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Path]:
    """Every case once, as a folder package (read by most tests)."""
    out = tmp_path_factory.mktemp("pkgs")
    return {case: generate_package(*case, out_dir=out, fmt="dir") for case in CASES}


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def fileset(stem: str, image: str = ".tiff", *, quicklooks: bool = True) -> set[str]:
    out = {stem + image, stem + ".xml", stem + ".rpb"}
    return out | ({stem + ".jpg", stem + "_thumb.jpg"} if quicklooks else set())


def expected_members(family: str, name: str) -> set[str]:  # noqa: C901 - one branch per family, on purpose
    n = name
    if family in ("gf1-pms", "gf2-pms"):
        cam = n.split("_")[1][-1]
        out = fileset(f"{n}-MSS{cam}") | fileset(f"{n}-PAN{cam}")
        if n.endswith("2147483647") or len(n.split("_")[-1]) == 14:  # the 2023 generation
            out |= {f"{n}.xml", "order.xml", f"{n}.shp", f"{n}.shx", f"{n}.dbf"}
            out |= {f"{n}-{p}{cam}.rpb.{x}" for p in ("MSS", "PAN") for x in ("gcp", "aux.xml")}
        return out
    if family == "gf1-wfv":
        return fileset(n)
    if family in ("gf1bcd-pms", "zy1e-vnic"):
        return fileset(f"{n}-PAN") | fileset(f"{n}-MUX")
    if family == "gf4-pmi":
        rest = n[len("GF4_PMI_") :]
        return fileset(f"GF4_PMS_{rest}") | fileset(f"GF4_IRS_{rest}")
    if family == "gf6-pms":
        pan = {f"{n}-PAN.tiff", f"{n}-PAN.xml", f"{n}-PAN.rpb"}
        return pan | fileset(f"{n}-MUX") | {f"{n}.{x}" for x in ("xml", "shp", "shx", "dbf", "prj")}
    if family == "gf6-wfv":
        tiles = {f"{n}-{k}.{x}" for k in (1, 2, 3) for x in ("tiff", "rpb")}
        return tiles | {f"{n}.xml", f"{n}.jpg", f"{n}-1_thumb.jpg", f"{n}.shp", f"{n}.shx", f"{n}.dbf"}
    if family == "gf7-dlc":
        base, _, part = n.partition("-")
        parts = [part] if part else ["BWDPAN", "BWDMUX", "FWDPAN"]
        return set().union(*(fileset(f"{base}-{p}", ".tif" if p == "BWDMUX" else ".tiff") for p in parts))
    if family == "zy3-cresda":
        if n.startswith("ZY3_NAD_"):
            return fileset(f"ZY3_TLC_{n[len('ZY3_NAD_') :]}-NAD")
        base, _, part = n.partition("-")
        parts = [part] if part else ["NAD", "FWD", "BWD", "MUX"]
        return set().union(*(fileset(f"{base}-{p}") for p in parts))
    if family == "zy3-sasmac":
        return {f"IMAGEDATA/{n}.tif", f"{n}_rpc.txt", f"PREVIEW/{n}_pre.jpg", f"PREVIEW/{n}_ico.jpg", f"{n}.xml"} | {
            f"{n}_Geo.{x}" for x in ("shp", "shx", "dbf")
        }
    if family == "cbers4-cresda":
        return {f"{n}.tiff", f"{n}.xml", f"{n}.jpg", f"{n}-THUMB.jpg"}
    if family == "cbers-inpe":
        bands = (0, 1, 2, 3, 4) if "_4A_" in n else (5, 6, 7, 8)
        return {f"{n}_BAND{b}.{x}" for b in bands for x in ("tif", "xml")}
    if family in ("hy1-cocts", "hy1-czi"):
        return {f"{n}.h5", f"{n}.meta.xml", f"{n}.jpg", f"{n}_thumb.jpg"}
    if family == "gf3-sar":
        m = GF3.match(n)
        assert m
        pols = {"HH": ["HH"], "VV": ["VV"], "DH": ["HH"], "DV": ["VV"], "HHHV": ["HH", "HV"], "VVVH": ["VV", "VH"]}
        pols["AHV"] = ["HH", "HV", "VH", "VV"]
        out = {f"{n}.meta.xml", f"{n}.incidence.xml"}
        for pol in pols[m["pol"]]:
            stem = n.replace(f"_{m['pol']}_L", f"_{pol}_L")
            out |= {f"{stem}.tiff", f"{stem}.rpc", f"{stem}.jpg", f"{stem}.thumb.jpg"}
        return out
    assert family == "thematic"  # plus <name>.tif or <name>.nc, checked by the caller
    return {f"{n}.json", f"{n}.jpg", f"{n}_thumb.jpg"}


def xml(path: Path) -> ET.Element:
    return ET.fromstring(path.read_bytes())


def leaves(root: ET.Element) -> dict[str, str]:
    return {c.tag: (c.text or "") for c in root}


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111.32 * math.cos(lat), (a[1] - b[1]) * 111.32)


def corner_points(values: dict[str, str]) -> list[tuple[float, float]]:
    names = ("TopLeft", "TopRight", "BottomRight", "BottomLeft")
    return [(float(values[f"{c}Longitude"]), float(values[f"{c}Latitude"])) for c in names]


# -- families, names, members ------------------------------------------------------------------
def test_every_required_family_is_supported() -> None:
    assert set(FAMILIES) >= REQUIRED


@pytest.mark.parametrize(("family", "index"), CASES, ids=[f"{f}-{i}" for f, i in CASES])
def test_name_and_members(built: dict[tuple[str, int], Path], family: str, index: int) -> None:
    folder = built[(family, index)]
    name = folder.name
    if family == "gf3-sar":
        assert GF3.match(name), name
    elif family in NAMES:
        assert NAMES[family].match(name), name
    else:
        assert CRESDA.match(name), name
    members = files(folder)
    expected = expected_members(family, name)
    if family == "thematic":
        data = {m for m in members if m.endswith((".tif", ".nc"))}
        assert data in ({f"{name}.tif"}, {f"{name}.nc"})
        expected |= data
    assert members == expected


def test_variants_by_index(built: dict[tuple[str, int], Path]) -> None:
    assert "_PMS1_" in built[("gf1-pms", 0)].name and "_PMS2_" in built[("gf1-pms", 1)].name
    assert built[("gf1-wfv", 2)].name.startswith("GF1_WFV3_")
    assert built[("gf2-pms", 2)].name.endswith("L1A2147483647")
    assert re.search(r"_L1A\d{11}$", built[("gf2-pms", 5)].name)
    assert re.search(r"_L1L\d{10}$", built[("gf7-dlc", 0)].name)
    assert re.search(r"_L1A\d{10}-BWDPAN$", built[("gf7-dlc", 3)].name)
    assert built[("zy3-cresda", 0)].name.startswith("ZY3_NAD_")
    assert built[("zy3-cresda", 1)].name.startswith("ZY302_TMS_") and "-" not in built[("zy3-cresda", 1)].name
    assert re.search(r"^ZY302_TMS_.*-(NAD|FWD|BWD|MUX)$", built[("zy3-cresda", 7)].name)
    assert built[("hy1-czi", 1)].name.startswith("H1D_")
    assert "_L1A_" in built[("gf3-sar", 0)].name and "_L2_" in built[("gf3-sar", 2)].name


def test_hemisphere_letters() -> None:
    assert (hemi_lon(120.24), hemi_lat(-0.04), hemi_lat(0.04)) == ("E120.2", "S0.0", "N0.0")
    assert (hemi_lon(-91.04), hemi_lat(-36.6956)) == ("W91.0", "S36.7")


# -- CRESDA ProductMetaData --------------------------------------------------------------------
def _check_cresda(xml_path: Path, layout: list[str], name: str, *, geostationary: bool = False) -> dict[str, str]:
    root = xml(xml_path)
    assert root.tag == "ProductMetaData"
    assert [c.tag for c in root] == layout
    v = leaves(root)
    start, centre, end = (datetime.strptime(v[k], BJ) for k in ("StartTime", "CenterTime", "EndTime"))
    assert start <= centre <= end
    receive = datetime.strptime(v["ReceiveTime"], BJ)
    if geostationary:
        assert receive == centre == start == end
    else:  # Beijing-time Start/End/CenterTime; ReceiveTime is the UTC centre
        assert receive == centre - timedelta(hours=8)
        assert (end - start).total_seconds() < 90  # seconds for PMS, ~30 s for WFV, 60 s for 400 km GF-6 WFV
    m = CRESDA.match(name)
    assert m
    if not geostationary:
        assert m["date"] == receive.strftime("%Y%m%d")  # the file-name date is the UTC date
    cloud = int(v["CloudPercent"])
    assert 0 <= cloud <= 101
    corners = corner_points(v)
    lon = sum(c[0] for c in corners) / 4
    lat = sum(c[1] for c in corners) / 4
    assert (hemi_lon(lon), hemi_lat(lat)) == (f"{m['lon_h']}{m['lon']}", f"{m['lat_h']}{m['lat']}")
    assert corners[0][1] != corners[1][1]  # a rotated quad, not a bounding box
    gsd = float(v.get("ImageGSD") or v.get("ImageGSDLine") or 0)
    width_km = int(v["WidthInPixels"]) * gsd / 1000
    assert km_between(corners[0], corners[1]) == pytest.approx(width_km, rel=0.1)
    return v


@pytest.mark.parametrize("case", [("gf1-pms", 0), ("gf1-wfv", 2), ("gf2-pms", 0), ("gf7-dlc", 0), ("zy3-cresda", 1)])
def test_classic_layout(built: dict[tuple[str, int], Path], case: tuple[str, int]) -> None:
    folder = built[case]
    xmls = sorted(p for p in folder.glob("*.xml"))
    assert xmls
    for path in xmls:
        v = _check_cresda(path, CLASSIC_66, folder.name)
        text = path.read_text()
        assert "<ProductQuality />" in text and "<QualityInfo></QualityInfo>" in text  # both empty styles
        assert re.fullmatch(r"\d+", v["ProductID"]) and not v["ProductID"].startswith("0")
        assert CRESDA.match(folder.name)["pid"].lstrip("0") == v["ProductID"]  # type: ignore[index]
        assert v["ProductLevel"].startswith("LEVEL")
        lon, lat = (sum(c) / 4 for c in zip(*corner_points(v), strict=True))
        utc = datetime.strptime(v["ReceiveTime"], BJ).replace(tzinfo=UTC)
        assert float(v["SolarZenith"]) == pytest.approx(sun_angles(utc, lat, lon)[0], abs=0.6)  # a true zenith
        if path.name.endswith(("-PAN1.xml", "-PAN2.xml")):
            assert v["Bands"] == "5"


def test_gf1_pms_pair(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("gf1-pms", 0)]
    mss = leaves(xml(next(folder.glob("*-MSS1.xml"))))
    pan = leaves(xml(next(folder.glob("*-PAN1.xml"))))
    assert (mss["Bands"], mss["ImageGSD"], pan["Bands"], pan["ImageGSD"]) == ("1,2,3,4", "8", "5", "2")
    assert int(pan["WidthInPixels"]) == 4 * int(mss["WidthInPixels"])


def test_gf4_quirks(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("gf4-pmi", 0)]
    pms = _check_cresda(next(folder.glob("GF4_PMS_*.xml")), GF4_68, folder.name, geostationary=True)
    irs = _check_cresda(next(folder.glob("GF4_IRS_*.xml")), GF4_68, folder.name, geostationary=True)
    assert pms["SensorID"] == irs["SensorID"] == "PMI"
    assert (pms["PixelBits"], pms["ValidPixelBits"], pms["ScenePath"], pms["SceneShift"]) == ("16", "10", "0", "0")
    assert len(pms["Gain"].split(",")) == len(pms["Bias"].split(",")) == 5 and len(irs["Gain"].split(",")) == 1
    assert (pms["Bands"], irs["Bands"], pms["ImageGSD"], irs["ImageGSD"]) == ("1,2,3,4,5", "1", "50", "400")
    assert pms["IntegrationTime"].count(",") == 4 and pms["GainMode"] == ""
    lon, lat = (sum(c) / 4 for c in zip(*corner_points(pms), strict=True))
    utc = datetime.strptime(pms["CenterTime"], BJ).replace(tzinfo=UTC) - timedelta(hours=8)
    zenith = sun_angles(utc, lat, lon)[0]
    assert float(pms["SolarZenith"]) == pytest.approx(90 - zenith, abs=0.6)  # an elevation despite its name
    assert "<GainMode />" in next(folder.glob("GF4_PMS_*.xml")).read_text()


@pytest.mark.parametrize("case", [("gf2-pms", 2), ("gf2-pms", 5)])
def test_gf2_2023_generation(built: dict[tuple[str, int], Path], case: tuple[str, int]) -> None:
    folder = built[case]
    name = folder.name
    mss_path = next(folder.glob("*-MSS?.xml"))
    mss = _check_cresda(mss_path, GEN2023_82, name)
    pan = _check_cresda(next(folder.glob("*-PAN?.xml")), GEN2023_82, name)
    assert (folder / f"{name}.xml").read_bytes() == mss_path.read_bytes()  # scene XML = MSS XML
    assert mss["CloudPercent"] == pan["CloudPercent"] == "101"
    assert re.fullmatch(r"\d{11}", mss["ProductID"]) and mss["ProductID"] == str(int(mss["SceneID"]) * 1000 + 1)
    name_id = CRESDA.match(name)["pid"]  # type: ignore[index]
    assert name_id in ("2147483647", mss["ProductID"])
    assert re.fullmatch(r"-?\d+\.\d{15}", mss["CenterLatitude"]) and re.fullmatch(r"\d+\.\d{15}", mss["ImageGSD"])
    assert pan["ImageGSD"] == "0.81" and mss["ImageGSD"] == "3.240000000000000"
    assert "<ProductQuality></ProductQuality>" in mss_path.read_text() and "/>" not in mss_path.read_text()
    order = xml(folder / "order.xml")
    assert order.tag == "InterfaceFile" and [c.tag for c in order] == ["FileBody", "FileHeader"]
    assert order.find("FileBody/TimeStandard").text == "BJTime"
    gcp = next(folder.glob("*-MSS?.rpb.gcp")).read_text().splitlines()
    count, _ = gcp[0].split()
    assert int(count) == len(gcp) - 1 and len(gcp[1].split()) == 5
    assert xml(next(folder.glob("*-MSS?.rpb.aux.xml"))).tag == "l0DataMeta"


@pytest.mark.parametrize("case", [("gf1bcd-pms", 0), ("gf6-pms", 0)])
def test_new_ground_system_layout(built: dict[tuple[str, int], Path], case: tuple[str, int]) -> None:
    folder = built[case]
    for path in folder.glob("*-*.xml"):
        v = _check_cresda(path, GEN2023_82, folder.name)
        assert v["ProductID"] == CRESDA.match(folder.name)["pid"]  # type: ignore[index]
    if case[0] == "gf6-pms":
        assert (folder / f"{folder.name}.xml").read_bytes() == next(folder.glob("*-MUX.xml")).read_bytes()


def test_gf6_wfv_tiles(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("gf6-wfv", 0)]
    v = _check_cresda(folder / f"{folder.name}.xml", GEN2023_82, folder.name)
    assert v["Bands"] == "1,2,3,4,5,6,7,8" and v["SensorID"] == "WFV"
    for k in (1, 2, 3):
        with rasterio.open(folder / f"{folder.name}-{k}.tiff") as ds:
            assert ds.count == 8 and ds.rpcs is not None


def test_zy1e_level_element(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("zy1e-vnic", 0)]
    v = leaves(xml(next(folder.glob("*-MUX.xml"))))
    assert "ProductLevel" not in v and v["Level"] == "LEVEL1B" and "ImageGSDLine" in v and "POrbitID" in v
    assert "ImageGSD" not in v and v["Bands"].count(",") == 7


def test_zy3_cresda_inner_names(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("zy3-cresda", 0)]
    xml_path = next(folder.glob("ZY3_TLC_*-NAD.xml"))
    v = _check_cresda(xml_path, CLASSIC_66, folder.name)
    assert (v["SatelliteID"], v["SensorID"]) == ("ZY3", "NAD")


def test_ground_system_fixtures_match(built: dict[tuple[str, int], Path]) -> None:
    """Element order and empty-element styles equal the real vendor files (when they are at hand)."""
    if not FIXTURES.is_dir():
        pytest.skip("real metadata fixtures are not available here")

    def shape(text: str) -> list[str]:
        return [re.sub(r">[^<]+</", ">V</", line) for line in text.splitlines()]

    pairs = [
        ("gf1-pms1-mss__*", built[("gf1-pms", 0)], "*-MSS1.xml"),
        ("gf4-pmi-pms__*", built[("gf4-pmi", 0)], "GF4_PMS_*.xml"),
        ("gf2-pms2-mss-2023fmt__*", built[("gf2-pms", 2)], "*-MSS?.xml"),
    ]
    for fixture, folder, pattern in pairs:
        real = next(FIXTURES.glob(fixture)).read_text()
        assert shape(next(folder.glob(pattern)).read_text()) == shape(real)


# -- other metadata families -------------------------------------------------------------------
def test_gf3_meta(built: dict[tuple[str, int], Path]) -> None:
    for case in (("gf3-sar", 0), ("gf3-sar", 2)):
        folder = built[case]
        m = GF3.match(folder.name)
        assert m
        meta_path = folder / f"{folder.name}.meta.xml"
        assert meta_path.read_text().startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>')
        root = xml(meta_path)
        assert root.tag == "product"
        top = [c.tag for c in root]
        assert top[:12] == [
            "segmentID", "sceneID", "satellite", "orbitID", "orbitType", "attiType", "Direction", "productID",
            "DocumentIdentifier", "ReceiveTime", "IsZeroDopplerSteering", "Station",
        ]  # fmt: skip
        assert top[12:] == ["sensor", "platform", "GPS", "ATTI", "productinfo", "imageinfo", "processinfo"]
        assert root.findtext("sensor/imagingMode") == m["mode"]
        assert root.findtext("sensor/polarParams/polar/polarMode") == m["pol"]
        assert root.findtext("productID") == m["pid"].lstrip("0") and root.findtext("Station") == m["station"]
        assert root.findtext("productinfo/productLevel") == m["digit"]
        utc = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
        for path in ("platform/CenterTime", "imageinfo/imagingTime/start", "imageinfo/imagingTime/end"):
            assert re.fullmatch(utc, root.findtext(path) or "")
        assert (
            datetime.strptime(root.findtext("imageinfo/imagingTime/start") or "", BJ + ".%f").strftime("%Y%m%d")
            == m["date"]
        )
        assert 5 <= len(root.findall("GPS/GPSParam")) <= 60 and 5 <= len(root.findall("ATTI/ATTIParam")) <= 120
        corner = [c.tag for c in root.find("imageinfo/corner")]
        assert corner == ["topLeft", "topRight", "bottomLeft", "bottomRight"]
        assert (
            root.findtext("imageinfo/QualifyValue/VV" if "HH" in m["pol"] else "imageinfo/QualifyValue/HH")
            in (
                "NULL",
                None,
            )
            or m["pol"] == "AHV"
        )
        inc = xml(folder / f"{folder.name}.incidence.xml")
        values = [float(e.text or "") for e in inc.findall("incidenceValue")]
        assert int(inc.findtext("numberofIncidenceValue") or 0) == len(values) and values == sorted(values)


def test_inpe_prdf(built: dict[tuple[str, int], Path]) -> None:
    ns = "{http://www.gisplan.com.br/xmlsat}"
    for case, number, level in ((("cbers-inpe", 0), "4", "2"), (("cbers-inpe", 1), "4A", "4")):
        folder = built[case]
        for path in folder.glob("*.xml"):
            root = xml(path)
            assert root.tag == f"{ns}prdf"
            assert root.findtext(f"{ns}satellite/{ns}number") == number
            assert root.findtext(f"{ns}image/{ns}level") == level
            band = re.search(r"_BAND(\d)\.xml$", path.name)[1]  # type: ignore[index]
            assert root.find(f"{ns}image/{ns}band{band}") is not None
            begin = root.findtext(f"{ns}viewing/{ns}begin") or ""
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", begin)
            assert begin[:10].replace("-", "") == folder.name.split("_")[3]
            with rasterio.open(path.with_suffix(".tif")) as ds:
                assert ds.count == 1 and ds.crs.to_epsg() // 100 in (326, 327)


def test_cbers_cresda_root_data(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("cbers4-cresda", 0)]
    root = xml(folder / f"{folder.name}.xml")
    assert root.tag == "root" and [c.tag for c in root] == ["data"]
    data = leaves(root.find("data"))
    for key in ("satelliteId", "sensorId", "productId", "productLevel", "sceneDate", "productDate",
                "imagingStartTime", "imagingStopTime", "pixelSpacing", "satOffNadir", "overallQuality",
                "dataUpperLeftLat", "dataUpperLeftLong", "dataLowerRightLat", "dataLowerRightLong"):  # fmt: skip
        assert data.get(key), key
    assert data["sensorId"] == folder.name.split("-")[1] and 0 <= int(data["overallQuality"]) <= 101


def test_hy1_meta(built: dict[tuple[str, int], Path]) -> None:
    for case, prefixed in ((("hy1-cocts", 0), False), (("hy1-czi", 1), True)):
        folder = built[case]
        root = xml(folder / f"{folder.name}.meta.xml")
        assert root.tag == "ProductMetaData" and root.findtext("ProductName") == folder.name
        assert 0 <= int(root.findtext("QualityInfo/CloudPercent") or -1) <= 101
        start = root.findtext("ImageInfo/StartTime") or ""
        assert datetime.strptime(start, BJ).strftime("%Y%m%dT%H%M%S") == folder.name.split("_")[4]  # UTC
        tl = root.find("ImageInfo/Corners/TopLeft")
        assert tl is not None
        tags = [c.tag for c in tl]
        assert tags == (["TopLeft_Longitude", "TopLeft_Latitude"] if prefixed else ["Latitude", "Longitude"])
        assert (folder / f"{folder.name}.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
        with rasterio.open(f"netcdf:{folder / folder.name}.h5:radiance") as ds:
            assert ds.count == (4 if prefixed else 10) and ds.crs.to_epsg() == 4326


def test_sasmac_layout(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("zy3-sasmac", 0)]
    root = xml(folder / f"{folder.name}.xml")
    assert root.tag == "sensor_corrected_metadata"
    info = root.find("productInfo")
    assert info is not None and info.findtext("SensorID") == "NAD"
    assert re.fullmatch(r"\d{14}\.\d{4}", info.findtext("TimeStamp/CenterTime") or "")
    assert info.find("ProductGeographicRange/LeftTopPoint/Longtitude") is not None  # sic
    assert info.findtext("AcquisitionTime", "")[:10].replace("-", "") == folder.name.split("_")[4][:8]
    text = (folder / f"{folder.name}_rpc.txt").read_text()
    assert re.search(r"^LINE_OFF: [-\d.]+ pixels$", text, re.M) and text.count("_COEFF_") == 80


def test_thematic_sidecars(built: dict[tuple[str, int], Path]) -> None:
    themes = {"land-cover", "land-use", "cropping-index", "forest-biomass", "grassland-npp", "sst", "par",
              "transparency", "chlorophyll", "ocean-npp"}  # fmt: skip
    seen = set()
    for index in (0, 2, 3, 10):
        folder = built[("thematic", index)]
        doc = json.loads((folder / f"{folder.name}.json").read_text())
        for key in ("theme", "satellite", "sensor", "level", "start", "end", "bbox"):
            assert key in doc, key
        assert doc["theme"] in themes and doc["level"] in ("L2A", "L2B", "L2C") and len(doc["bbox"]) == 4
        start, end = (datetime.fromisoformat(doc[k]) for k in ("start", "end"))
        assert doc["start"].endswith("Z") and start.tzinfo is not None and start <= end
        assert folder.name.split("_")[4] == start.strftime("%Y%m%d")
        data = next(p for p in folder.iterdir() if p.suffix in (".tif", ".nc"))
        with rasterio.open(data) as ds:
            assert ds.count == 1 and ds.crs.to_epsg() == 4326
            assert list(ds.bounds) == pytest.approx(doc["bbox"])
            if data.suffix == ".tif":
                assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            values = ds.read(1, masked=True) * doc["scale_factor"] + doc["add_offset"]
        if doc["theme"] == "sst":
            assert doc["bbox"][0] > 100 and float(values.min()) > -2 and float(values.max()) < 33
        seen.add(doc["theme"])
    assert {"sst", "land-cover", "cropping-index"} <= seen
    assert {built[("thematic", i)].name.split("_")[2] for i in (0, 10)} == {"SST"}


# -- rasters, RPB, quicklooks ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "pattern", "count"),
    [
        (("gf1-pms", 0), "*-MSS1.tiff", 4),
        (("gf1-pms", 0), "*-PAN1.tiff", 1),
        (("gf1-wfv", 2), "*.tiff", 4),
        (("gf4-pmi", 0), "GF4_PMS_*.tiff", 5),
        (("gf4-pmi", 0), "GF4_IRS_*.tiff", 1),
        (("zy1e-vnic", 0), "*-MUX.tiff", 8),
        (("gf7-dlc", 0), "*-BWDMUX.tif", 4),
        (("cbers4-cresda", 0), "*.tiff", 4),
        (("gf3-sar", 0), "*.tiff", 2),
        (("gf3-sar", 2), "*.tiff", 1),
    ],
)
def test_raster_bands(built: dict[tuple[str, int], Path], case: tuple[str, int], pattern: str, count: int) -> None:
    paths = list(built[case].glob(pattern))
    assert paths
    for path in paths:
        with rasterio.open(path) as ds:
            assert ds.count == count and ds.crs.to_epsg() == 4326 and 64 <= max(ds.width, ds.height) <= 256
            arr = ds.read()
        if arr.dtype == np.uint16 and "GF3" not in path.name:
            assert arr.max() < 1024 and arr.std() > 5  # 10-bit values with texture


def test_rpb_text_and_model(built: dict[tuple[str, int], Path]) -> None:
    keys = ["errBias", "errRand", "lineOffset", "sampOffset", "latOffset", "longOffset", "heightOffset",
            "lineScale", "sampScale", "latScale", "longScale", "heightScale"]  # fmt: skip
    for case, pattern in ((("gf1-pms", 0), "*-MSS1"), (("gf2-pms", 5), "*-PAN?"), (("gf4-pmi", 0), "GF4_PMS_*")):
        folder = built[case]
        rpb = next(folder.glob(pattern + ".rpb"))
        text = rpb.read_text()
        assert text.startswith('satId = "XXX";\nbandId = "XXX";\nSpecId = "XXX";\nBEGIN_GROUP = IMAGE\n')
        assert text.endswith("END_GROUP = IMAGE\nEND;\n")
        assert re.findall(r"^\t(\w+) = (?!\()", text, re.M) == keys
        for group in ("lineNumCoef", "lineDenCoef", "sampNumCoef", "sampDenCoef"):
            block = text.split(f"\t{group} = (\n")[1].split(");")[0] + ");"
            coefs = re.findall(r"^\t\t\t([+-]\d\.\d{15}E[+-]\d\d)[,)]", block, re.M)
            assert len(coefs) == 20
        assert "\t\t\t+1.000000000000000E+00," in text.split("lineDenCoef")[1][:40]
        tiff = rpb.with_suffix(".tiff")
        v = leaves(xml(rpb.with_suffix(".xml")))
        with rasterio.open(tiff) as ds, RPCTransformer(ds.rpcs) as tr:  # GDAL reads the sidecar
            xs, ys = tr.xy([0, 0, ds.height, ds.height], [0, ds.width, ds.width, 0], zs=[0] * 4, offset="ul")
            pixel = max(ds.bounds.right - ds.bounds.left, ds.bounds.top - ds.bounds.bottom) / min(ds.width, ds.height)
            line_off = ds.rpcs.line_off
        for (lon, lat), x, y in zip(corner_points(v), xs, ys, strict=True):
            assert abs(lon - x) < 1.5 * pixel and abs(lat - y) < 1.5 * pixel
        assert ds.height / 2 - 1 <= line_off <= ds.height * 0.6


def test_quicklook_sizes(built: dict[tuple[str, int], Path]) -> None:
    folder = built[("gf1-pms", 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # real quicklooks carry no georeferencing either
        with (
            rasterio.open(next(folder.glob("*-MSS1.jpg"))) as big,
            rasterio.open(next(folder.glob("*_thumb.jpg"))) as t,
        ):
            assert big.driver == "JPEG" and big.count == 3 and max(big.width, big.height) == 256
            assert max(t.width, t.height) == 64


# -- packaging ---------------------------------------------------------------------------------
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_byte_identical_runs(tmp_path: Path) -> None:
    for family in FAMILIES:
        a = generate_package(family, 4, out_dir=tmp_path / "a")
        b = generate_package(family, 4, out_dir=tmp_path / "b")
        assert a.name == b.name and _sha(a) == _sha(b), family
    for fmt in ("tar", "zip"):
        a = generate_package("gf2-pms", 2, out_dir=tmp_path / "a", fmt=fmt)
        b = generate_package("gf2-pms", 2, out_dir=tmp_path / "b", fmt=fmt)
        assert _sha(a) == _sha(b)
    other = generate_package("gf2-pms", 2, seed=7, out_dir=tmp_path / "c")
    assert other.name != generate_package("gf2-pms", 2, out_dir=tmp_path / "c").name


def test_formats(tmp_path: Path) -> None:
    folder = generate_package("gf1-pms", 0, out_dir=tmp_path, fmt="dir")
    name = folder.name
    expected = files(folder)
    tgz = generate_package("gf1-pms", 0, out_dir=tmp_path, fmt="tar.gz")
    assert tgz.name == f"{name}.tar.gz"
    raw = tgz.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip header mtime 0
    with tarfile.open(tgz) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert members[0].name == name and members[0].isdir()
    assert {m.name[len(name) + 1 :] for m in members if m.isfile()} == expected
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in members} == {(members[0].mtime, 0, 0, "root")}
    tar_path = generate_package("gf1-pms", 0, out_dir=tmp_path, fmt="tar")
    with tarfile.open(tar_path) as tar:
        assert {m.name for m in tar.getmembers() if m.isfile()} == {f"{name}/{m}" for m in expected}
    zip_path = generate_package("gf1-pms", 0, out_dir=tmp_path, fmt="zip")
    with zipfile.ZipFile(zip_path) as zf:
        assert set(zf.namelist()) == expected and len({i.date_time for i in zf.infolist()}) == 1
    assert gzip.decompress(raw)[: len(name)] == name.encode()
    with pytest.raises(ValueError, match="format"):
        generate_package("gf1-pms", 0, out_dir=tmp_path, fmt="rar")
    with pytest.raises(ValueError, match="family"):
        generate_package("landsat", 0, out_dir=tmp_path)
    assert not list(tmp_path.glob(".*"))  # no temporary leftovers


def test_without_quicklooks(tmp_path: Path) -> None:
    for family, index in (("gf1-pms", 0), ("gf3-sar", 0), ("zy3-sasmac", 0), ("cbers4-cresda", 0), ("thematic", 0)):
        with_ql = files(generate_package(family, index, out_dir=tmp_path / "a", fmt="dir"))
        without = files(generate_package(family, index, out_dir=tmp_path / "b", fmt="dir", quicklooks=False))
        assert without == {m for m in with_ql if not m.endswith(".jpg")} and without != with_ql


def test_generate_mix(tmp_path: Path) -> None:
    paths = generate(tmp_path, count=40, fmt="dir")
    assert len(paths) == len({p.name for p in paths}) == 40
    names = [p.name for p in paths]
    assert len({n.split("_")[0].split("-")[0] for n in names}) >= 6
    assert sum(n.startswith(("GF1", "GF2", "GF6")) for n in names) >= 15  # a Chinese archive's mix
    centres = [CRESDA.match(n) for n in names]
    coords = [
        (float(m["lon"]) * (-1 if m["lon_h"] == "W" else 1), float(m["lat"]) * (-1 if m["lat_h"] == "S" else 1))
        for m in centres
        if m and m["sat"] != "GF4"
    ]
    china = sum(73 <= lon <= 135 and 18 <= lat <= 54 for lon, lat in coords)
    assert 0.3 <= china / len(coords) <= 0.8
    assert [p.name for p in generate(tmp_path / "again", count=40, fmt="dir")] == names
    only = generate(tmp_path / "only", count=3, families=["gf4-pmi"], fmt="zip")
    assert all(p.name.startswith("GF4_PMI_") and p.suffix == ".zip" for p in only)


def test_local_solar_time(built: dict[tuple[str, int], Path]) -> None:
    """Sun-synchronous optical scenes are taken near 10:30 local solar time."""
    for case in (("gf1-pms", 0), ("gf1-wfv", 2), ("gf2-pms", 0), ("gf6-pms", 0), ("zy1e-vnic", 0)):
        v = leaves(xml(next(built[case].glob("*.xml"))))
        lon = sum(c[0] for c in corner_points(v)) / 4
        utc = datetime.strptime(v["ReceiveTime"], BJ)
        local = (utc.hour + utc.minute / 60 + lon / 15) % 24
        assert 9.5 <= local <= 11.5, (case, local)


# -- the large package -------------------------------------------------------------------------
def test_large_package_streams(tmp_path: Path) -> None:
    size = 50_000_000
    target = tmp_path / "GF2_PMS1_E116.4_N39.9_20240501_L1A0004000001.tar"
    tracemalloc.start()
    try:
        path = make_large_package(target, size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path == target and 0.97 * size <= path.stat().st_size <= 1.05 * size
    assert peak < 24_000_000  # a few chunks, never the image
    stem = target.name[: -len(".tar")]
    with tarfile.open(path) as tar:
        names = {m.name.split("/")[-1] for m in tar.getmembers() if m.isfile()}
        pan_xml = tar.extractfile(f"{stem}/{stem}-PAN1.xml")
        assert pan_xml is not None
        v = leaves(ET.fromstring(pan_xml.read()))
    assert names == fileset(f"{stem}-MSS1") | fileset(f"{stem}-PAN1")
    with rasterio.open(f"/vsitar/{path}/{stem}/{stem}-PAN1.tiff") as ds:  # GDAL reads it in place
        assert (ds.count, ds.width, ds.height) == (1, int(v["WidthInPixels"]), int(v["HeightInPixels"]))
        assert ds.read(1, window=((0, 4), (0, 4))).std() > 0
    into_folder = make_large_package(tmp_path / "dir", 2_000_000)
    assert into_folder.parent == tmp_path / "dir" and CRESDA.match(into_folder.name[: -len(".tar.gz")])


# -- command line ------------------------------------------------------------------------------
def test_cli(tmp_path: Path) -> None:
    assert demo_data.__doc__ == "Generate deterministic synthetic product packages (no download)."
    app = typer.Typer()
    app.command("demo-data")(demo_data)
    args = ["--out", str(tmp_path), "--count", "3", "--families", "gf1-wfv,thematic", "--fmt", "zip", "--no-quicklooks"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and all(Path(line).is_file() and line.endswith(".zip") for line in lines)
    with zipfile.ZipFile(lines[0]) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".jpg")]
    bad = CliRunner().invoke(app, ["--out", str(tmp_path), "--families", "landsat"])
    assert bad.exit_code != 0
