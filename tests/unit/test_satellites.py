"""The satellite registry: its facts, lookups, band metadata, STAC collections and file checks."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pystac
import pytest

from eonode.catalog.documents import prepare_collection
from eonode.errors import EonodeError, UnknownProduct
from eonode.ingest.model import CollectionRef
from eonode.satellites import (
    SERIES,
    THEMATIC_LEVELS,
    collection_document,
    collection_id,
    collection_refs,
    eo_bands,
    satellite,
    satellites,
    satellites_by_series,
    thematic_refs,
    theme,
    themes,
)
from eonode.satellites.collections import EO_EXTENSION, PROCESSING_EXTENSION, SAR_EXTENSION
from eonode.satellites.loading import load_registry, parse_registry

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real-metadata"

# The satellites the registry must hold, with their series and the agreed sensors and camera codes.
REQUIRED: dict[str, tuple[str, dict[str, list[str]]]] = {
    "gf-1": ("Gaofen", {"pms": ["PMS1", "PMS2"], "wfv": ["WFV1", "WFV2", "WFV3", "WFV4"]}),
    "gf-1b": ("Gaofen", {"pms": ["PMS"]}),
    "gf-1c": ("Gaofen", {"pms": ["PMS"]}),
    "gf-1d": ("Gaofen", {"pms": ["PMS"]}),
    "gf-2": ("Gaofen", {"pms": ["PMS1", "PMS2"]}),
    "gf-3": ("Gaofen", {"sar": ["SL", "UFS", "FSI", "FSII", "SS", "QPSI", "QPSII", "NSC", "WSC", "WAV", "GLO", "EXT"]}),
    "gf-3b": ("Gaofen", {"sar": ["FSI", "UFS"]}),
    "gf-3c": ("Gaofen", {"sar": ["FSI", "UFS"]}),
    "gf-4": ("Gaofen", {"pmi": ["PMS", "IRS"]}),
    "gf-5": ("Gaofen", {"ahsi": ["AHSI"], "vims": ["VIMS"]}),
    "gf-6": ("Gaofen", {"pms": ["PMS"], "wfv": ["WFV"]}),
    "gf-7": ("Gaofen", {"dlc": ["DLC"], "las": ["LAS"]}),
    "zy-3-01": ("Land", {"tlc": ["TLC", "NAD", "FWD", "BWD"], "mux": ["MUX"]}),
    "zy-3-02": ("Land", {"tlc": ["TLC", "NAD", "FWD", "BWD"], "mux": ["MUX"]}),
    "zy-3-03": ("Land", {"tlc": ["TLC", "NAD", "FWD", "BWD"], "mux": ["MUX"]}),
    "zy-1-02d": ("Land", {"vnic": ["VNIC"], "ahsi": ["AHSI"]}),
    "cbers-4": ("Land", {"mux": ["MUX"], "pan": ["PAN5M", "PAN10M", "P5M", "P10M"], "wfi": ["WFI"], "irs": ["IRS"]}),
    "cbers-4a": ("Land", {"wpm": ["WPM"], "mux": ["MUX"], "wfi": ["WFI"]}),
    "hy-1c": ("Ocean", {"cocts": ["COCTS"], "czi": ["CZI"]}),
    "hy-1d": ("Ocean", {"cocts": ["COCTS"], "czi": ["CZI"]}),
    "hy-2b": ("Ocean", {"alt": ["ALT"], "scat": ["SCA"], "smr": ["RM"]}),
    # HY-2C and HY-2D fly a calibration radiometer for the altimeter, not the scanning radiometer.
    "hy-2c": ("Ocean", {"alt": ["ALT"], "scat": ["SCA"]}),
    "hy-2d": ("Ocean", {"alt": ["ALT"], "scat": ["SCA"]}),
    "cfosat": ("Ocean", {"swim": ["SWIM"], "scat": ["SCAT"]}),
    "fy-3d": ("Meteorological", {"mersi": ["MERSI"], "mwri": ["MWRI"]}),
    "fy-4a": ("Meteorological", {"agri": ["AGRI"], "giirs": ["GIIRS"], "lmi": ["LMI"]}),
}
NADIR_OR_STARING = {"altimeter", "lidar", "sounder", "lightning"}
THEMES = {
    "land-cover": "LC",
    "land-use": "LU",
    "cropping-index": "CI",
    "forest-biomass": "AGB",
    "grassland-npp": "GNPP",
    "sst": "SST",
    "par": "PAR",
    "transparency": "SDD",
    "chlorophyll": "CHL",
    "ocean-npp": "ONPP",
}


def _raw() -> dict[str, Any]:
    text = resources.files("eonode.satellites").joinpath("satellites.json").read_text("utf-8")
    return dict(json.loads(text))


def _sat_raw(raw: dict[str, Any], sat_id: str) -> dict[str, Any]:
    return next(s for s in raw["satellites"] if s["id"] == sat_id)


def _validate_core(doc: dict[str, Any]) -> None:
    """pystac validation against the core STAC schemas it ships (extension schemas need the network)."""
    core = copy.deepcopy(doc)
    core["stac_extensions"] = []
    pystac.Collection.from_dict(core).validate()


# -- the satellites and their facts -----------------------------------------------------------------------------
@pytest.mark.parametrize("sat_id", sorted(REQUIRED))
def test_required_satellite_facts(sat_id: str) -> None:
    series, sensors = REQUIRED[sat_id]
    sat = satellite(sat_id)
    assert sat.series == series
    assert sat.name and sat.name_zh and len(sat.mission) > 40 and sat.operator
    assert sat.constellation in {"gaofen", "ziyuan", "cbers", "haiyang", "fengyun", "cfosat"}
    assert date(2012, 1, 1) <= date.fromisoformat(sat.launch) <= date.today()
    assert sat.orbit.type in {"sun-synchronous", "geostationary", "non-sun-synchronous"}
    assert sat.orbit.altitude_km is not None and 400 < sat.orbit.altitude_km < 36_000
    assert sat.providers and all(p.roles for p in sat.providers)
    assert {s.id for s in sat.sensors} == set(sensors)
    for sensor in sat.sensors:
        assert sensor.gsd > 0 and sensor.description
        if sensor.kind not in NADIR_OR_STARING and sat.orbit.type != "geostationary":
            assert sensor.swath_km is not None and sensor.swath_km > 0, sensor.id
        if sensor.id != "las":  # GF-7 laser products are not catalogued yet
            assert sensor.levels, sensor.id
    assert (sat.orbit.longitude_deg is not None) == (sat.orbit.type == "geostationary")


def test_series_and_their_members() -> None:
    grouped = satellites_by_series()
    assert list(grouped) == list(SERIES)
    assert {s.id for s in grouped["Meteorological"]} == {"fy-3d", "fy-4a"}
    assert {"cfosat", "hy-1c", "hy-2b"} <= {s.id for s in grouped["Ocean"]}
    assert {"cbers-4", "cbers-4a", "zy-1-02d", "zy-3-01"} <= {s.id for s in grouped["Land"]}
    assert sum(len(v) for v in grouped.values()) == len(satellites())


def test_known_facts() -> None:
    """Figures from the formats research note (§6) and the fixtures, so a careless edit shows."""
    gf1 = satellite("gf-1")
    assert (gf1.launch, gf1.orbit.altitude_km, gf1.sensor("wfv").swath_km) == ("2013-04-26", 645, 800)
    assert satellite("gf-2").sensor("pms").resolutions == (0.8, 3.2)
    assert satellite("gf-4").orbit.type == "geostationary"
    assert satellite("gf-4").sensor("pmi").resolutions == (50, 400)
    assert satellite("zy-3-01").sensor("tlc").resolutions == (2.1, 3.5)
    assert satellite("cbers-4").sensor("mux").gsd == 20
    assert satellite("cbers-4a").sensor("wpm").swath_km == 92
    assert satellite("zy-1-02d").sensor("vnic").swath_km == 115
    assert satellite("hy-1c").sensor("cocts").gsd == 1100
    assert satellite("fy-3d").sensor("mersi").resolutions == (250, 1000)
    assert len(satellite("fy-3d").sensor("mersi").bands) == 25
    assert len(satellite("fy-4a").sensor("agri").bands) == 14
    assert sum(g.count for g in satellite("gf-5").sensor("ahsi").band_groups) == 330
    sar = satellite("gf-3").sensor("sar").sar
    assert sar is not None and sar.frequency_band == "C"
    assert {m.code: (m.resolution_m, m.swath_km) for m in sar.modes}["FSI"] == (5, 50)


# -- lookups ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "sat_id"),
    [
        ("gf-1", "gf-1"),
        ("GF1", "gf-1"),
        ("gf1", "gf-1"),
        ("GF1B", "gf-1b"),
        ("GF3C", "gf-3c"),
        ("ZY3", "zy-3-01"),
        ("ZY302", "zy-3-02"),
        ("ZY303", "zy-3-03"),
        ("ZY1E", "zy-1-02d"),
        ("ZY1-02D", "zy-1-02d"),
        ("ZY102D", "zy-1-02d"),
        ("CB04", "cbers-4"),
        ("CBERS4", "cbers-4"),
        ("CBERS04", "cbers-4"),
        ("CBERS-4", "cbers-4"),
        ("CBERS_4", "cbers-4"),
        ("CB04A", "cbers-4a"),
        ("CBERS_4A", "cbers-4a"),
        ("cbers04a", "cbers-4a"),
        ("H1C", "hy-1c"),
        ("HY1D", "hy-1d"),
        ("HY2B", "hy-2b"),
        ("CFOSAT", "cfosat"),
        ("FY3D", "fy-3d"),
        ("fy4a", "fy-4a"),
        (" GF6 ", "gf-6"),
    ],
)
def test_satellite_lookup(key: str, sat_id: str) -> None:
    assert satellite(key).id == sat_id


@pytest.mark.parametrize("key", ["GF8", "CBERS_5", "", "gf-1 pms", "HY1"])
def test_unknown_satellite(key: str) -> None:
    with pytest.raises(UnknownProduct, match="not in the satellite registry"):
        satellite(key)


def test_sensor_lookup_by_id_and_every_agreed_camera_code() -> None:
    for sat_id, (_, sensors) in REQUIRED.items():
        sat = satellite(sat_id)
        for sensor_id, cameras in sensors.items():
            assert sat.sensor(sensor_id).id == sensor_id
            assert sat.sensor(sensor_id.upper()).id == sensor_id
            for camera in cameras:
                assert sat.sensor(camera).id == sensor_id, (sat_id, camera)
                assert sat.sensor(camera.lower()).id == sensor_id
    with pytest.raises(UnknownProduct, match="no sensor 'WFV'"):
        satellite("gf-2").sensor("WFV")


@pytest.mark.parametrize(
    ("name", "sat_id", "sensor_id"),
    [  # real product names quoted in the formats note; <SAT>_<SENSOR>_...
        ("GF1_WFV3_E89.0_N23.9_20200523_L1A0004819525", "gf-1", "wfv"),
        ("GF1_PMS1_E69.4_N33.3_20220624_L1A0006547030", "gf-1", "pms"),
        ("GF1D_PMS_E117.3_N33.0_20181026_L1A1256479933", "gf-1d", "pms"),
        ("GF2_PMS2_W72.3_S36.7_20230213_L1A2147483647", "gf-2", "pms"),
        ("GF4_PMI_E115.0_N36.6_20160803_L1A0000125813", "gf-4", "pmi"),
        ("GF4_IRS_E125.1_N41.2_20180407_L1A0000191805", "gf-4", "pmi"),
        ("GF5_AHSI_E112.73_N29.83_20190122_003766_L10000036541", "gf-5", "ahsi"),
        ("GF6_WFV_E115.9_N30.1_20180607_L1A0000632302", "gf-6", "wfv"),
        ("GF7_DLC_E106.2_N38.6_20191224_L1L0000024554", "gf-7", "dlc"),
        ("ZY3_NAD_E84.5_N44.9_20130805_L1A0001545076", "zy-3-01", "tlc"),
        ("ZY3_MUX_E125.9_N51.6_20120824_L2A0001835323", "zy-3-01", "mux"),
        ("ZY1E_VNIC_E110.3_N25.0_20200509_L1B0000080809", "zy-1-02d", "vnic"),
        ("CBERS_4_MUX_20201031_003_073_L2_BAND5", "cbers-4", "mux"),
        ("CBERS_4A_WPM_20200730_209_139_L4_BAND0", "cbers-4a", "wpm"),
        ("H1C_OPER_OCT_L1A_20200210T022000_20200210T022500_07474_10", "hy-1c", "cocts"),
        ("FY3D_MERSI_GBAL_L1_20190101_0000_1000M_MS", "fy-3d", "mersi"),
        ("HY1C_COCTS_SST_L2B_20240601_20240630_SCS", "hy-1c", "cocts"),
    ],
)
def test_product_names_resolve(name: str, sat_id: str, sensor_id: str) -> None:
    m = re.match(r"(CBERS_4A?)_([A-Z0-9]+)", name) or re.match(r"([A-Z0-9]+)_(?:OPER_)?([A-Z0-9]+)", name)
    assert m is not None
    sat = satellite(m.group(1))
    assert (sat.id, sat.sensor(m.group(2)).id) == (sat_id, sensor_id)


def test_gf3_mode_tokens_resolve() -> None:
    name = "GF3_SAY_FSI_023228_W65.3_S18.7_20210107_L2_HHHV_L20005379609"
    sat_code, _station, mode = name.split("_")[:3]
    assert satellite(sat_code).sensor(mode).id == "sar"


# -- band metadata ------------------------------------------------------------------------------------------------
def _xml_value(name: str, element: str) -> str:
    path = FIXTURES / name
    if not path.exists():
        pytest.fail(f"the real metadata fixture is missing: {path}")
    m = re.search(rf"<{element}>([^<]*)</{element}>", path.read_text("utf-8"))
    assert m is not None
    return m.group(1)


def test_eo_bands_for_the_bands_real_metadata_lists() -> None:
    mss = _xml_value("gf1-pms1-mss__GF1_PMS1_E69.4_N33.3_20220624_L1A0006547030-MSS1.xml", "Bands").split(",")
    pan = _xml_value("gf1-pms1-pan__GF1_PMS1_E69.4_N33.3_20220624_L1A0006547030-PAN1.xml", "Bands").split(",")
    assert [b["common_name"] for b in eo_bands("gf-1", "PMS1", mss)] == ["blue", "green", "red", "nir"]
    assert eo_bands("gf-1", "pms", pan) == [
        {
            "name": "PAN",
            "common_name": "pan",
            "description": "Panchromatic",
            "center_wavelength": 0.675,
            "full_width_half_max": 0.45,
        }
    ]
    irs = _xml_value("gf4-pmi-irs__GF4_IRS_E119.9_N10.2_20250723_L1A0000773662.xml", "Bands").split(",")
    pms = _xml_value("gf4-pmi-pms__GF4_PMS_E119.9_N10.2_20250723_L1A0000773662.xml", "Bands").split(",")
    assert [b["name"] for b in eo_bands("gf-4", "IRS", irs)] == ["MWIR"]  # the camera code picks the IRS part
    assert eo_bands("gf-4", "pmi", irs, part="irs")[0]["center_wavelength"] == pytest.approx(3.8)
    assert [b["name"] for b in eo_bands("gf-4", "PMS", pms)] == ["PAN", "B2", "B3", "B4", "B5"]
    assert [b["name"] for b in eo_bands("gf-4", "pmi")] == ["PAN", "B2", "B3", "B4", "B5", "MWIR"]
    assert eo_bands("gf-4", "pmi", ["1"])[0]["name"] == "PAN"  # without a part the first band 1 wins


def test_eo_bands_edge_cases() -> None:
    assert [b["name"] for b in eo_bands("gf-1", "wfv", [" 2", "9", "2", "3"])] == ["B2", "B3"]
    assert eo_bands("gf-3", "sar") == []  # polarisations are no eo:bands
    assert eo_bands("hy-2b", "smr") == []
    assert [b["name"] for b in eo_bands("gf-7", "dlc", ["1", "6"], part="BWDMUX")] == ["B1"]
    assert [b["name"] for b in eo_bands("gf-7", "dlc", ["5", "6"])] == ["BWDPAN", "FWDPAN"]
    assert [b["name"] for b in eo_bands("gf-7", "FWDPAN")] == ["FWDPAN"]  # a part name picks its sensor
    assert [b["name"] for b in eo_bands("gf-7", "bwdmux", ["4", "5"])] == ["B4"]
    assert [b["name"] for b in eo_bands("zy-3-02", "BWD")] == ["PAN"]
    assert [b["common_name"] for b in eo_bands("gf-6", "wfv")][4:] == ["rededge", "rededge", "coastal", "yellow"]
    assert [b["name"] for b in eo_bands("cbers-4a", "wpm", ["0"])] == ["B0"]
    with pytest.raises(UnknownProduct):
        eo_bands("gf-1", "mux")


# -- collections -----------------------------------------------------------------------------------------------------
def test_collection_ids_stay_stable() -> None:
    assert collection_id(CollectionRef("gf-1", "pms", "L1A")) == "gf1-pms-l1a"
    assert collection_id(CollectionRef("GF1", "PMS2", "L1A")) == "gf1-pms-l1a"
    assert collection_id(CollectionRef("gf-4", "pmi", "L1A")) == "gf4-pmi-l1a"
    assert collection_id(CollectionRef("zy-3-02", "NAD", "L1A")) == "zy302-tlc-l1a"
    assert collection_id(CollectionRef("CBERS_4A", "wpm", "L4")) == "cbers4a-wpm-l4"
    assert collection_id(CollectionRef("hy-1c", "cocts", "L2B", theme="sst")) == "sst-hy1c-cocts"
    assert collection_id(CollectionRef("HY1C", "COCTS", "L2A", theme="SST")) == "sst-hy1c-cocts"
    assert CollectionRef("gf-3", "FSI", "L2").id == "gf3-sar-l2"


def test_collection_refs_cover_every_sensor_level() -> None:
    refs = collection_refs()
    expected = {(sat.id, s.id, level) for sat in satellites() for s in sat.sensors for level in s.levels}
    assert {(r.platform, r.sensor, r.level) for r in refs} == expected
    assert len({r.id for r in refs}) == len(refs)
    assert len(refs) > 80


@pytest.mark.parametrize("ref", collection_refs(), ids=lambda r: r.id)
def test_product_collection_document(ref: CollectionRef) -> None:
    sat = satellite(ref.platform)
    sensor = sat.sensor(ref.sensor)
    doc = collection_document(ref)
    _validate_core(doc)
    assert prepare_collection(doc, ref.id)["id"] == ref.id  # the catalogue accepts it as is
    assert doc["extent"]["temporal"]["interval"] == [[f"{sat.launch}T00:00:00Z", None]]
    s = doc["summaries"]
    assert (s["platform"], s["constellation"], s["instruments"]) == ([sat.id], [sat.constellation], [sensor.id])
    assert s["processing:level"] == [ref.level]
    assert s["gsd"] == sorted(s["gsd"]) and min(s["gsd"]) == sensor.gsd
    optical = [b for b in sensor.bands if b.center_wavelength is not None]
    assert len(s.get("eo:bands", [])) == len(optical)
    assert (EO_EXTENSION in doc["stac_extensions"]) == bool(optical)
    assert (SAR_EXTENSION in doc["stac_extensions"]) == (sensor.kind == "sar")
    assert PROCESSING_EXTENSION in doc["stac_extensions"]
    assert doc["providers"] and all(p["roles"] and p["name"] for p in doc["providers"])
    assert doc["eonode:series"] == sat.series
    facts = doc["eonode:satellite"]
    assert (facts["launch"], facts["series"], facts["orbit"]["type"]) == (sat.launch, sat.series, sat.orbit.type)
    assert [p["id"] for p in facts["payloads"]] == [x.id for x in sat.sensors]
    assert doc["eonode:sensor"]["id"] == sensor.id
    assert sat.id in doc["keywords"] and ref.level.lower() in doc["keywords"]
    assert "eonode:theme" not in doc


def test_sar_summaries() -> None:
    doc = collection_document(CollectionRef("gf-3", "sar", "L1A"))
    s = doc["summaries"]
    assert s["sar:frequency_band"] == ["C"]
    assert s["sar:polarizations"] == ["HH", "HV", "VH", "VV"]
    assert s["sar:product_type"] == ["SLC"]
    assert {"SL", "FSI", "QPSI", "GLO"} <= set(s["sar:instrument_mode"])
    assert s["gsd"][0] == 1 and s["gsd"][-1] == 500
    assert "eo:bands" not in s
    assert len(doc["eonode:sensor"]["sar_modes"]) == 12


def test_optical_summaries_and_no_extensions_option() -> None:
    doc = collection_document(CollectionRef("gf-2", "pms", "L1A"), extensions=False)
    assert doc["stac_extensions"] == []
    bands = doc["summaries"]["eo:bands"]
    assert [b["name"] for b in bands] == ["B1", "B2", "B3", "B4", "PAN"]
    assert doc["summaries"]["gsd"] == [0.8, 3.2]
    assert [p["name"] for p in doc["providers"]] == ["CNSA", "CRESDA"]
    pystac.Collection.from_dict(doc).validate()  # nothing to fetch: validates offline as is


def test_cbers_providers_include_inpe() -> None:
    doc = collection_document(CollectionRef("cbers-4", "mux", "L2"))
    assert {"INPE", "CRESDA", "CNSA"} <= {p["name"] for p in doc["providers"]}


# -- themes ------------------------------------------------------------------------------------------------------------
def test_all_ten_themes() -> None:
    assert {t.id: t.token for t in themes()} == THEMES
    for t in themes():
        assert t.title and t.title_zh and t.description and t.domain in {"land", "ocean"} and t.sources
        assert theme(t.token).id == t.id and theme(t.token.lower()).id == t.id
    assert theme("sst").unit == "°C" and theme("chlorophyll").domain == "ocean"
    assert theme("forest-biomass").domain == "land"
    with pytest.raises(UnknownProduct, match="no theme"):
        theme("ndvi")


@pytest.mark.parametrize("ref", thematic_refs(), ids=lambda r: r.id)
def test_thematic_collection_document(ref: CollectionRef) -> None:
    assert ref.theme is not None
    sat = satellite(ref.platform)
    doc = collection_document(ref)
    _validate_core(doc)
    prepare_collection(doc, ref.id)
    assert doc["id"] == f"{ref.theme}-{sat.id.replace('-', '')}-{ref.sensor}"
    assert doc["summaries"]["processing:level"] == list(THEMATIC_LEVELS)
    assert "eo:bands" not in doc["summaries"]
    assert doc["eonode:theme"]["id"] == ref.theme
    assert doc["extent"]["temporal"]["interval"][0][0] == f"{sat.launch}T00:00:00Z"
    assert "thematic" in doc["keywords"]


def test_the_briefs_thematic_example() -> None:
    doc = collection_document(CollectionRef(theme="sst", platform="hy-1c", sensor="cocts", level="L2B"))
    assert doc["id"] == "sst-hy1c-cocts"
    assert doc["summaries"]["processing:level"] == ["L2A", "L2B", "L2C"]
    assert doc["eonode:theme"]["unit"] == "°C" and doc["eonode:theme"]["token"] == "SST"
    assert doc["eonode:satellite"]["series"] == "Ocean"
    assert doc["title"].startswith("Sea surface temperature")


# -- checking the file -------------------------------------------------------------------------------------------------
def test_the_shipped_file_loads() -> None:
    reg = load_registry(_raw())
    assert [s.id for s in reg.satellites] == [s.id for s in satellites()]


def _break(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    change(raw)
    return raw


BROKEN = {
    "unknown series": (lambda r: _sat_raw(r, "gf-2").update(series="Optical"), r"satellites\[gf-2\].*'series'"),
    "duplicate id": (lambda r: r["satellites"].append(copy.deepcopy(_sat_raw(r, "gf-2"))), "'gf-2' is used"),
    "alias of another satellite": (
        lambda r: _sat_raw(r, "gf-6")["aliases"].append("GF1"),
        "key 'gf1' is used by both 'gf-1' and 'gf-6'",
    ),
    "code of another satellite": (lambda r: _sat_raw(r, "zy-3-02").update(code="ZY3"), "'zy3' is used by both"),
    "alias repeating the code": (lambda r: _sat_raw(r, "gf-2")["aliases"].append("GF2"), "'gf2' is used twice"),
    "missing field": (lambda r: _sat_raw(r, "hy-1c").pop("mission"), r"satellites\[hy-1c\]: missing field 'mission'"),
    "missing sensor field": (
        lambda r: _sat_raw(r, "fy-3d")["sensors"][0].pop("gsd"),
        r"sensors\[mersi\]: missing field 'gsd'",
    ),
    "unknown field": (
        lambda r: _sat_raw(r, "gf-1")["sensors"][1].update(swath=800),
        r"sensors\[wfv\]: unknown field.*'swath'",
    ),
    "camera in two sensors": (
        lambda r: _sat_raw(r, "gf-1")["sensors"][1]["cameras"].append("PMS1"),
        "'pms1' is used by both",
    ),
    "wrong wavelength": (
        lambda r: _sat_raw(r, "gf-1")["sensors"][0]["bands"][0].update(center_wavelength=0.66),
        "does not fit common_name 'blue'",
    ),
    "bad common name": (
        lambda r: _sat_raw(r, "gf-1")["sensors"][0]["bands"][0].update(common_name="ultraviolet"),
        "not a STAC eo common name",
    ),
    "bad launch date": (lambda r: _sat_raw(r, "gf-4").update(launch="2015-12-32"), "not an ISO date"),
    "lower-case alias": (lambda r: _sat_raw(r, "gf-6")["aliases"].append("gf6a"), "aliases must be upper-case"),
    "gsd as text": (lambda r: _sat_raw(r, "gf-4")["sensors"][0].update(gsd="50 m"), "'gsd' must be a number"),
    "gsd of an unknown camera": (
        lambda r: _sat_raw(r, "zy-3-03")["sensors"][0]["gsd_by_camera"].update(PMS=2.0),
        "names a camera",
    ),
    "bad level": (lambda r: _sat_raw(r, "gf-4")["sensors"][0].update(levels=["1A"]), "not a processing level"),
    "unknown agency": (
        lambda r: _sat_raw(r, "gf-5")["providers"].append({"agency": "esa", "roles": ["host"]}),
        "'esa' is not",
    ),
    "theme from an unknown sensor": (
        lambda r: r["themes"][0]["sources"].append({"satellite": "gf-2", "sensor": "wfv"}),
        "gf-2 has no sensor",
    ),
    "theme token twice": (lambda r: r["themes"][1].update(token="LC"), "theme key 'lc' is used by both"),
    "no satellites list": (lambda r: r.pop("satellites"), "missing field 'satellites'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_registry_is_refused(case: str) -> None:
    change, message = BROKEN[case]
    with pytest.raises(EonodeError, match=message) as caught:
        load_registry(_break(change))
    assert type(caught.value) is EonodeError  # the registry's own check, not a lookup failing later


def test_broken_json_text_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "satellites.json"
    broken.write_text(json.dumps(_raw())[:-2], encoding="utf-8")
    with pytest.raises(EonodeError, match="not valid JSON") as caught:
        parse_registry(broken.read_text("utf-8"), str(broken))
    assert str(broken) in caught.value.description and caught.value.status == 500
