"""CBERS-4/4A: the INPE layout of the real fixtures, and the CRESDA ``root/data`` layout."""

from __future__ import annotations

import pytest

from eonode.ingest.model import CollectionRef
from eonode.ingest.readers import reader_for
from eonode.satellites import collection_id
from tests.ingest.fakes import (
    CBERS4_MUX,
    CBERS4A_WPM,
    REAL_PACKAGES,
    DictPackage,
    asset_keys,
    fixture,
    productmeta_xml,
    props,
    read,
    real_package,
)

MUX_PRODUCT = CBERS4_MUX.removesuffix("_BAND5")


def test_inpe_cbers4_mux_band_file() -> None:
    product = read(real_package(CBERS4_MUX, {f"{CBERS4_MUX}.tif": b""}))
    item, p = product.item, props(product)
    assert reader_for(CBERS4_MUX).name == "cbers-inpe"
    assert item["id"] == MUX_PRODUCT  # the product, not the band file
    assert item["collection"] == "cbers4-mux-l2"
    assert p["platform"] == "cbers-4"
    assert p["datetime"] == "2020-10-31T03:16:10.865000Z"  # UTC, as written
    assert p["start_datetime"] == "2020-10-31T03:16:01.944000Z"
    assert p["end_datetime"] == "2020-10-31T03:16:19.786000Z"
    assert p["processing:datetime"] == "2020-11-01T03:27:00.279915Z"
    assert p["processing:level"] == "L2"
    assert p["gsd"] == 20
    assert "eo:cloud_cover" not in p
    assert p["view:sun_elevation"] == pytest.approx(48.4855)
    assert p["view:sun_azimuth"] == pytest.approx(156.103)
    assert p["sat:orbit_state"] == "descending"
    assert p["eonode:receiving_station"] == "CBA"
    assert (p["eonode:path"], p["eonode:row"]) == (3, 73)
    assert [b["name"] for b in p["eo:bands"]] == ["B5"]
    # the valid-data quadrilateral, not the map-grid box
    assert item["bbox"] == pytest.approx([109.797766, 23.538482, 111.234699, 24.776705])
    assert asset_keys(product) == {"metadata": f"{CBERS4_MUX}.xml"}
    assert product.images == [f"{CBERS4_MUX}.tif"]


def test_inpe_cbers4a_wpm_pan_band() -> None:
    product = read(real_package(CBERS4A_WPM))
    p = props(product)
    assert product.item["id"] == "CBERS_4A_WPM_20200730_209_139_L4"
    assert product.item["collection"] == "cbers4a-wpm-l4"
    assert p["datetime"] == "2020-07-30T13:51:24.147000Z"
    assert p["gsd"] == 2
    assert p["processing:level"] == "L4"
    assert "eonode:receiving_station" not in p  # "Unknown location"
    assert [b["common_name"] for b in p["eo:bands"]] == ["pan"]
    assert product.item["bbox"] == pytest.approx([-51.675816, -21.139326, -50.59234, -20.118117])


def _band(number: int, text: str) -> str:
    """The band-5 file rewritten as another band's file."""
    return text.replace(f"{CBERS4_MUX}", f"{MUX_PRODUCT}_BAND{number}").replace("band5 ", f"band{number} ")


def test_inpe_package_with_every_band_is_one_product() -> None:
    text = fixture(REAL_PACKAGES[CBERS4_MUX][0])[1].decode()
    members = {}
    for band in (8, 6, 5, 7):
        members[f"{MUX_PRODUCT}_BAND{band}.xml"] = _band(band, text).encode()
        members[f"{MUX_PRODUCT}_BAND{band}.tif"] = b""
    members[f"{MUX_PRODUCT}.png"] = b"\x89PNG"
    product = read(DictPackage(MUX_PRODUCT, members))
    p = props(product)
    assert product.item["id"] == MUX_PRODUCT
    assert [b["common_name"] for b in p["eo:bands"]] == ["blue", "green", "red", "nir"]
    assert product.images == [f"{MUX_PRODUCT}_BAND{b}.tif" for b in (5, 6, 7, 8)]
    keys = asset_keys(product)
    assert keys["metadata"] == f"{MUX_PRODUCT}_BAND5.xml"
    assert {"metadata-band6", "metadata-band7", "metadata-band8"} <= keys.keys()
    assert next(a for a in product.assets if a.key == "browse").media_type == "image/png"


def test_inpe_sun_elevation_from_the_incidence_angle_when_no_sun_position() -> None:
    text = fixture(REAL_PACKAGES[CBERS4_MUX][0])[1].decode()
    start, end = text.index("<sunPosition>"), text.index("</sunPosition>") + len("</sunPosition>")
    product = read(DictPackage(CBERS4_MUX, {f"{CBERS4_MUX}.xml": (text[:start] + text[end:]).encode()}))
    incidence = 41 + 57 / 60 + (45 + 362 / 1000) / 3600  # 41° 57' 45" 362 ms
    assert props(product)["view:sun_elevation"] == pytest.approx(90 - incidence)


ROOT_DATA = """<?xml version="1.0" encoding="UTF-8"?>
<root>
  <data>
    <satelliteId>CB04</satelliteId>
    <sensorId>{sensor}</sensorId>
    <productId>{pid}</productId>
    <sceneId>2001234</sceneId>
    <productLevel>{level}</productLevel>
    <sceneDate>2017-08-19</sceneDate>
    <productDate>2017-08-20 09:12:13</productDate>
    <imagingStartTime>2017-08-19 11:32:10</imagingStartTime>
    <imagingStopTime>2017-08-19 11:32:20</imagingStopTime>
    <pixelSpacing>{gsd}</pixelSpacing>
    <satOffNadir>-12.5</satOffNadir>
    <overallQuality>9</overallQuality>
    <dataUpperLeftLat>33.2</dataUpperLeftLat>
    <dataUpperLeftLong>104.1</dataUpperLeftLong>
    <dataUpperRightLat>33.1</dataUpperRightLat>
    <dataUpperRightLong>104.8</dataUpperRightLong>
    <dataLowerLeftLat>32.6</dataLowerLeftLat>
    <dataLowerLeftLong>104.0</dataLowerLeftLong>
    <dataLowerRightLat>32.5</dataLowerRightLat>
    <dataLowerRightLong>104.7</dataLowerRightLong>
  </data>
</root>
"""


def test_cresda_cbers04_hyphenated_name_with_root_data() -> None:
    name = "CB04-P10-365-64-B2-20170819-L20003200907"
    xml = ROOT_DATA.format(sensor="P10", pid="3200907", level="LEVEL2", gsd="10").encode()
    members = {f"{name}.xml": xml, f"{name}.tiff": b"", f"{name}.jpg": b"", f"{name}-THUMB.jpg": b""}
    product = read(DictPackage(name, members))
    item, p = product.item, props(product)
    assert reader_for(name).name == "cbers-cresda"
    assert item["collection"] == collection_id(CollectionRef("cbers-4", "P10M", "L2"))
    assert p["datetime"] == "2017-08-19T03:32:15Z"  # Beijing time, middle of start and stop
    assert p["start_datetime"] == "2017-08-19T03:32:10Z"
    assert p["processing:datetime"] == "2017-08-20T01:12:13Z"
    assert p["gsd"] == 10
    assert p["view:off_nadir"] == 12.5
    assert p["eonode:product_id"] == "3200907"
    assert p["eonode:scene_id"] == "2001234"
    assert (p["eonode:path"], p["eonode:row"]) == (365, 64)
    assert "eo:cloud_cover" not in p
    assert item["bbox"] == pytest.approx([104.0, 32.5, 104.8, 33.2])
    assert asset_keys(product) == {"metadata": f"{name}.xml", "browse": f"{name}.jpg", "thumbnail": f"{name}-THUMB.jpg"}


def test_cresda_cbers04_mux_named_like_other_cresda_products() -> None:
    name = "CB04_MUX_E104.4_N32.9_20170819_L20003200908"
    xml = ROOT_DATA.format(sensor="MUX", pid="3200908", level="2", gsd="20").encode()
    product = read(DictPackage(name, {f"{name}.xml": xml, f"{name}.tiff": b""}))
    assert product.item["collection"] == "cbers4-mux-l2"
    assert [b["common_name"] for b in props(product)["eo:bands"]] == ["blue", "green", "red", "nir"]


def test_cresda_cbers04a_wpm_with_product_metadata_parts() -> None:
    name = "CB04A_WPM_E104.4_N32.9_20210405_L20000123456"
    fields = {"SatelliteID": "CB04A", "SensorID": "WPM", "ProductLevel": "LEVEL2"}
    mss = productmeta_xml(**fields, Bands="1,2,3,4", ImageGSD="8")
    pan = productmeta_xml(**fields, Bands="0", ImageGSD="2")
    members = {f"{name}-MSS.xml": mss, f"{name}-PAN.xml": pan, f"{name}-MSS.tiff": b"", f"{name}-PAN.tiff": b""}
    members[f"{name}-MSS_thumb.jpg"] = b""
    product = read(DictPackage(name, members))
    p = props(product)
    assert product.item["collection"] == "cbers4a-wpm-l2"
    assert p["gsd"] == 2
    assert p["datetime"] == "2022-06-24T05:39:09Z"  # the Beijing CenterTime of the template
    assert [b["common_name"] for b in p["eo:bands"]] == ["blue", "green", "red", "nir", "pan"]
    assert asset_keys(product) == {
        "metadata": f"{name}-MSS.xml",
        "metadata-pan": f"{name}-PAN.xml",
        "thumbnail": f"{name}-MSS_thumb.jpg",
    }
