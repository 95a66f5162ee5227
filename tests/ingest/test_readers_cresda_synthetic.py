"""The CRESDA optical reader on families without a real fixture: XML written from the element
lists of product-formats §4.1 (2023 form, ZY-1 02D ``Level``/``ImageGSDLine``, GF-5 without
``CenterTime``) and packages laid out as §2–§3 describe."""

from __future__ import annotations

import pytest

from eonode.errors import UnknownProduct
from eonode.ingest.model import CollectionRef
from eonode.satellites import collection_id, satellite
from tests.ingest.fakes import DROP, DictPackage, asset_keys, corners, productmeta_xml, props, read

SQUARE = corners((100.0, 31.0), (100.5, 31.0), (100.5, 30.5), (100.0, 30.5))

# fields the 2023 generation adds (and the four it drops), product-formats §4.1
FORM_2023 = {
    "QualityInfo": DROP, "PixelBits": DROP, "ValidPixelBits": DROP, "RelativeCorrectionData": DROP,
    "ReceiveStationID": "MYC", "OrbitType": "GPS", "AttType": "DMA", "StripID": "1213", "DDSFlag": "TRUE",
    "StartLine": None, "EndLine": None, "RegionName": "CH", "DataSize": "384", "EphemerisData": "GPS",
    "AttitudeData": "DMA", "RadiometricMethod": "LAB", "Denoise": "MOMENT", "RayleighCorrection": "N",
    "UsedGCPNo": "0", "CenterLatitude": "30.750000000000000", "CenterLongitude": "100.250000000000000",
    "DataArchiveFile": None, "BrowseFileLocation": None, "ThumbFileLocation": None,
}  # fmt: skip


def files(base: str, parts: dict[str, bytes], *, browse: str | None = None) -> dict[str, bytes]:
    """``<base>-<part>.xml`` (given), ``.tiff`` and ``.rpb`` per part, and the browse/thumbnail of one part."""
    out: dict[str, bytes] = {}
    for part, xml in parts.items():
        stem = f"{base}-{part}" if part else base
        out.update({f"{stem}.xml": xml, f"{stem}.tiff": b"", f"{stem}.rpb": b'satId = "XXX";'})
    if browse is not None:
        stem = f"{base}-{browse}" if browse else base
        out.update({f"{stem}.jpg": b"", f"{stem}_thumb.jpg": b""})
    return out


def test_gf1b_pms_2023_form_with_mux_and_pan_parts() -> None:
    base = "GF1B_PMS_E100.2_N30.7_20230130_L1A1228249417"
    common = {
        **FORM_2023, **SQUARE, "SatelliteID": "GF1B", "SensorID": "PMS", "ProductID": "1228249417",
        "SceneID": "1228249", "CenterTime": "2023-01-30 11:20:05", "StartTime": "2023-01-30 11:20:03",
        "EndTime": "2023-01-30 11:20:07", "ProduceTime": "2023-01-30 20:01:02", "CloudPercent": "12",
        "SolarZenith": "51.5", "RollSatelliteAngle": "10.0", "PitchSatelliteAngle": "0.0",
    }  # fmt: skip
    mux = productmeta_xml(**common, Bands="1,2,3,4", ImageGSD="8.000000000000000")
    pan = productmeta_xml(**{**common, "CloudPercent": "14"}, Bands="5", ImageGSD="2.000000000000000")
    product = read(DictPackage(base, files(base, {"PAN": pan, "MUX": mux}, browse="MUX")))
    p = props(product)
    assert product.item["collection"] == "gf1b-pms-l1a"
    assert p["datetime"] == "2023-01-30T03:20:05Z"
    assert p["processing:datetime"] == "2023-01-30T12:01:02Z"
    assert p["gsd"] == 2
    assert p["eo:cloud_cover"] == 14  # the cloudier part
    assert p["eonode:product_id"] == "1228249417"
    assert p["eonode:receiving_station"] == "MYC"
    assert p["view:sun_elevation"] == pytest.approx(38.5)
    assert p["view:off_nadir"] == pytest.approx(10.0)
    assert "eonode:camera" not in p  # "PMS" names the sensor, not one of several cameras
    assert [b["common_name"] for b in p["eo:bands"]] == ["blue", "green", "red", "nir", "pan"]
    assert asset_keys(product) == {
        "metadata": f"{base}-MUX.xml",
        "metadata-pan": f"{base}-PAN.xml",
        "rpc": f"{base}-MUX.rpb",
        "rpc-pan": f"{base}-PAN.rpb",
        "browse": f"{base}-MUX.jpg",
        "thumbnail": f"{base}-MUX_thumb.jpg",
    }
    assert product.images == [f"{base}-MUX.tiff", f"{base}-PAN.tiff"]
    assert product.item["bbox"] == pytest.approx([100.0, 30.5, 100.5, 31.0])


def test_gf6_wfv_tiles_share_one_metadata_file() -> None:
    base = "GF6_WFV_E115.9_N30.1_20180607_L1A0000632302"
    xml = productmeta_xml(**SQUARE, SatelliteID="GF6", SensorID="WFV", Bands="1,2,3,4,5,6,7,8", ImageGSD="16")
    members = {f"{base}.xml": xml, f"{base}.jpg": b"", f"{base}-1_thumb.jpg": b""}
    for tile in ("3", "1", "2"):
        members.update({f"{base}-{tile}.tiff": b"", f"{base}-{tile}.rpb": b""})
    product = read(DictPackage(base, members))
    p = props(product)
    assert product.item["collection"] == "gf6-wfv-l1a"
    assert len(p["eo:bands"]) == 8
    assert {b["common_name"] for b in p["eo:bands"]} >= {"rededge", "coastal", "yellow"}
    assert product.images == [f"{base}-1.tiff", f"{base}-2.tiff", f"{base}-3.tiff"]
    keys = asset_keys(product)
    assert keys["metadata"] == f"{base}.xml"
    assert keys["browse"] == f"{base}.jpg"
    assert keys["thumbnail"] == f"{base}-1_thumb.jpg"
    assert {k for k in keys if k.startswith("rpc")} == {"rpc-1", "rpc-2", "rpc-3"}


def test_gf6_pms_keeps_a_scene_xml_that_is_not_product_metadata() -> None:
    base = "GF6_PMS_E114.5_N32.8_20190115_L1A1119839616"
    fields = {**SQUARE, "SatelliteID": "GF6", "SensorID": "PMS"}
    parts = {"MUX": productmeta_xml(**fields, ImageGSD="8"), "PAN": productmeta_xml(**fields, Bands="5", ImageGSD="2")}
    members = files(base, parts, browse="MUX")
    members[f"{base}.xml"] = b'<?xml version="1.0"?><Metadata><Shape>footprint</Shape></Metadata>'
    members.update({f"{base}.shp": b"", f"{base}.dbf": b""})
    product = read(DictPackage(base, members))
    keys = asset_keys(product)
    assert keys["metadata"] == f"{base}-MUX.xml"
    assert keys["metadata-scene"] == f"{base}.xml"
    assert props(product)["gsd"] == 2


def test_gf7_dlc_package_with_three_parts() -> None:
    base = "GF7_DLC_E117.4_N39.2_20200319_L1L0000178402"
    fields = {"SatelliteID": "GF7", "SensorID": "DLC", "ProductLevel": DROP, "CenterTime": "2020-03-19 11:05:00"}
    back = corners((117.2, 39.3), (117.6, 39.3), (117.6, 39.1), (117.2, 39.1))
    forward = corners((117.25, 39.35), (117.65, 39.35), (117.65, 39.15), (117.25, 39.15))
    bwdmux = productmeta_xml(**fields, **back, ImageGSD="2.6")
    bwdpan = productmeta_xml(**fields, **back, Bands="1", ImageGSD="0.65")
    fwdpan = productmeta_xml(**{**fields, "CenterTime": "2020-03-19 11:04:40"}, **forward, Bands="1", ImageGSD="0.8")
    members = files(base, {"BWDPAN": bwdpan, "FWDPAN": fwdpan, "BWDMUX": bwdmux}, browse="BWDMUX")
    product = read(DictPackage(base, members))
    p = props(product)
    assert product.item["collection"] == "gf7-dlc-l1l"  # no ProductLevel in the XML: the name's level
    assert p["processing:level"] == "L1L"
    assert p["datetime"] == "2020-03-19T03:05:00Z"
    assert p["start_datetime"] == "2020-03-19T03:04:40Z"
    assert p["gsd"] == 0.65
    assert "eonode:camera" not in p
    common = [b.get("common_name") for b in p["eo:bands"]]
    assert common[:4] == ["blue", "green", "red", "nir"]
    assert common[4:] and set(common[4:]) == {"pan"}
    assert product.item["bbox"] == pytest.approx([117.2, 39.1, 117.65, 39.35])  # hull of the parts
    assert asset_keys(product)["metadata"] == f"{base}-BWDMUX.xml"
    assert product.images[0] == f"{base}-BWDMUX.tiff"


def test_gf7_dlc_single_part_package_names_its_camera() -> None:
    base = "GF7_DLC_E106.2_N38.6_20191224_L1L0000024554-FWDPAN"
    xml = productmeta_xml(**SQUARE, SatelliteID="GF7", SensorID="DLC", Bands="1", ImageGSD="0.8")
    product = read(DictPackage(base, {f"{base}.xml": xml, f"{base}.tiff": b""}))
    p = props(product)
    assert p["eonode:camera"] == "FWDPAN"
    assert [b["common_name"] for b in p["eo:bands"]] == ["pan"]


def test_zy3_nad_package_holds_tlc_files() -> None:
    base = "ZY3_NAD_E119.3_N25.9_20140614_L1A0001724356"
    inner = "ZY3_TLC_E119.3_N25.9_20140614_L1A0001724356-NAD"
    xml = productmeta_xml(**SQUARE, SatelliteID="ZY3", SensorID="NAD", Bands="1", ImageGSD="2.1")
    members = {f"{inner}.xml": xml, f"{inner}.tiff": b"", f"{inner}.rpb": b"", f"{inner}.jpg": b""}
    members[f"{inner}.tiff.aux.xml"] = b"<PAMDataset/>"  # GDAL sidecar: not metadata
    product = read(DictPackage(base, members))
    p = props(product)
    assert product.item["collection"] == collection_id(CollectionRef("zy-3-01", "NAD", "L1A"))
    assert [b["common_name"] for b in p["eo:bands"]] == ["pan"]
    assert p["gsd"] == 2.1
    assert asset_keys(product) == {"metadata": f"{inner}.xml", "rpc": f"{inner}.rpb", "browse": f"{inner}.jpg"}


def test_zy302_tms_mux_part_package() -> None:
    base = "ZY302_TMS_E108.2_N21.5_20180619_L1A0000311608-MUX"
    xml = productmeta_xml(**SQUARE, SatelliteID="ZY302", SensorID="MUX", ImageGSD="5.8")
    product = read(DictPackage(base, {f"{base}.xml": xml, f"{base}.tiff": b""}))
    assert product.item["collection"] == collection_id(CollectionRef("zy-3-02", "MUX", "L1A"))
    assert [b["common_name"] for b in props(product)["eo:bands"]] == ["blue", "green", "red", "nir"]


def test_zy303_tms_bundle_is_one_product_led_by_mux() -> None:
    base = "ZY303_TMS_E107.8_N33.1_20200824_L1A0000040340"
    nad = productmeta_xml(**SQUARE, SatelliteID="ZY303", SensorID="NAD", Bands="1", ImageGSD="2.1")
    mux = productmeta_xml(**SQUARE, SatelliteID="ZY303", SensorID="MUX", ImageGSD="5.8", CloudPercent="7")
    members = {f"{base}-NAD.xml": nad, f"{base}-MUX.xml": mux, f"{base}MUX.jpg": b"", f"{base}.thumb.jpg": b""}
    product = read(DictPackage(base, members))
    zy303 = satellite("ZY303")
    try:  # a bundle code the registry lists is its own collection, else the leading (MUX) part decides
        expected = zy303.sensor("TMS").id
    except UnknownProduct:
        expected = zy303.sensor("MUX").id
    assert product.collection == CollectionRef("zy-3-03", expected, "L1A")
    p = props(product)
    assert p["gsd"] == 2.1
    assert p["eo:cloud_cover"] == 7
    assert {zy303.sensor("NAD").id, zy303.sensor("MUX").id} <= set(p["instruments"])
    keys = asset_keys(product)
    assert keys["metadata"] == f"{base}-MUX.xml"
    assert keys["metadata-nad"] == f"{base}-NAD.xml"
    assert keys["browse"] == f"{base}MUX.jpg"
    assert keys["thumbnail"] == f"{base}.thumb.jpg"


def test_zy1e_vnic_uses_level_and_image_gsd_line() -> None:
    base = "ZY1E_VNIC_E110.4_N24.2_20221224_L1B0000546824"
    fields = {
        **SQUARE, "SatelliteID": "ZY1E", "SensorID": "VNIC", "ProductLevel": DROP, "Level": "LEVEL1B",
        "ImageGSD": DROP, "OrbitID": DROP, "POrbitID": "12345",
    }  # fmt: skip
    pan = productmeta_xml(**fields, Bands="1", ImageGSDLine="2.5")
    mux = productmeta_xml(**fields, Bands="2,3,4,5,6,7,8,9", ImageGSDLine="10")
    product = read(DictPackage(base, files(base, {"PAN": pan, "MUX": mux})))
    p = props(product)
    assert product.item["collection"] == "zy102d-vnic-l1b"
    assert p["processing:level"] == "L1B"
    assert p["gsd"] == 2.5
    assert p["sat:absolute_orbit"] == 12345
    assert len(p["eo:bands"]) == 9
    assert p["eo:bands"][-1]["common_name"] == "pan"


def test_gf5_ahsi_without_centre_time_and_with_two_halves() -> None:
    base = "GF5_AHSI_E121.45_N31.31_20191228_008714_L10000071208"
    xml = productmeta_xml(
        **SQUARE, SatelliteID="GF5", SensorID="AHSI", CenterTime=DROP, ProductLevel="L1",
        StartTime="2019-12-28 10:40:00", EndTime="2019-12-28 10:40:20", ImageGSD="30", Bands=DROP,
    )  # fmt: skip
    members = {f"{base}.xml": xml, f"{base}_SW.geotiff": b"", f"{base}_VN.geotiff": b""}
    product = read(DictPackage(base, members))
    p = props(product)
    assert product.item["collection"] == "gf5-ahsi-l1"
    assert p["datetime"] == "2019-12-28T02:40:10Z"  # the middle of the acquisition
    assert product.images == [f"{base}_VN.geotiff", f"{base}_SW.geotiff"]


@pytest.mark.parametrize("encoding", ["GB18030", "GB2312", "UTF-8", "UTF-16"])
def test_chinese_text_in_any_vendor_encoding(encoding: str) -> None:
    base = "GF1_WFV1_E114.9_N39.7_20180826_L1A0003413393"
    xml = productmeta_xml(encoding, **SQUARE, SensorID="WFV1", ImageGSD="16", RegionName="中国河北")
    if encoding == "UTF-8":
        xml = b"\xef\xbb\xbf" + xml  # with a byte-order mark, as Windows tools write it
    product = read(DictPackage(base, {f"{base}.xml": xml}))
    assert product.item["collection"] == "gf1-wfv-l1a"


@pytest.mark.parametrize(("written", "expected"), [("101", None), ("-1", None), ("", None), ("100", 100), ("3.5", 3.5)])
def test_cloud_cover_unknown_values(written: str, expected: float | None) -> None:
    base = "GF1_WFV1_E114.9_N39.7_20180826_L1A0003413393"
    xml = productmeta_xml(**SQUARE, SensorID="WFV1", ImageGSD="16", CloudPercent=written or None)
    assert props(read(DictPackage(base, {f"{base}.xml": xml}))).get("eo:cloud_cover") == expected


def test_corners_in_crossing_order_give_their_hull() -> None:
    base = "GF1_WFV1_E114.9_N39.7_20180826_L1A0003413393"
    crossed = corners((100.0, 31.0), (100.5, 30.5), (100.5, 31.0), (100.0, 30.5))  # TR and BR swapped
    product = read(DictPackage(base, {f"{base}.xml": productmeta_xml(**crossed, SensorID="WFV1")}))
    assert product.item["bbox"] == pytest.approx([100.0, 30.5, 100.5, 31.0])
    ring = product.item["geometry"]["coordinates"][0]
    assert len(ring) == 5


def test_a_scene_across_the_antimeridian_is_split() -> None:
    base = "GF1_WFV1_E180.0_N65.0_20180826_L1A0003413393"
    across = corners((179.6, 65.2), (-179.6, 65.2), (-179.6, 64.8), (179.6, 64.8))
    product = read(DictPackage(base, {f"{base}.xml": productmeta_xml(**across, SensorID="WFV1")}))
    geometry = product.item["geometry"]
    assert geometry["type"] == "MultiPolygon"
    lons = [x for polygon in geometry["coordinates"] for x, _ in polygon[0]]
    assert min(lons) == pytest.approx(-180) or max(lons) == pytest.approx(180)
    assert all(-180 <= x <= 180 for x in lons)
