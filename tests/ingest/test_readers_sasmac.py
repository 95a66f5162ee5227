"""SASMAC sensor-corrected ZY-3 and GF-7 products (``sensor_corrected_metadata``, product-formats §4.7)."""

from __future__ import annotations

import pytest

from eonode.ingest.model import CollectionRef
from eonode.ingest.readers import reader_for
from eonode.satellites import collection_id
from tests.ingest.fakes import DictPackage, asset_keys, props, read

ZY3 = "zy301a_bwd_021871_044148_20151217121515_01_sec_0001_1601044458"
GF7 = "GF701_004075_E105.4_N23.9_20200728114926_MUX_01_SC0_0004_2008282405"


def metadata(group: str = "productInfo", longitude: str = "Longtitude", gsd: str = "<ImageGSD>2.1</ImageGSD>") -> bytes:
    points = {
        "LeftTopPoint": (35.2, 112.1),
        "RightTopPoint": (35.1, 112.7),
        "RightBottomPoint": (34.7, 112.6),
        "LeftBottomPoint": (34.8, 112.0),
    }
    corners = "".join(
        f"<{p}><Latitude>{lat}</Latitude><{longitude}>{lon}</{longitude}></{p}>" for p, (lat, lon) in points.items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sensor_corrected_metadata>
  <{group}>
    <SatelliteID>ZY3-1</SatelliteID><SensorID>BWD</SensorID><OrbitID>21871</OrbitID>
    <AcquisitionTime>2015-12-17 12:15:15</AcquisitionTime><CloudPercent>4</CloudPercent>
    <RollViewingAngle>-3.5</RollViewingAngle>{gsd}
    <TimeStamp>
      <StartTime>20151217121510.2500</StartTime><CenterTime>20151217121515.0000</CenterTime>
      <EndTime>20151217121519.7500</EndTime>
    </TimeStamp>
    <ProductGeographicRange>{corners}<CenterPoint><Latitude>35.0</Latitude></CenterPoint></ProductGeographicRange>
  </{group}>
</sensor_corrected_metadata>
""".encode()


def package(name: str, xml: bytes) -> DictPackage:
    return DictPackage(
        name,
        {
            f"{name}/{name}.xml": xml,
            f"{name}/IMAGEDATA/{name}.tif": b"",
            f"{name}/IMAGEDATA/{name}_rpc.txt": b"LINE_OFF: 100 pixels",
            f"{name}/PREVIEW/{name}_pre.jpg": b"",
            f"{name}/PREVIEW/{name}_ico.jpg": b"",
            f"{name}/RANGE/{name}.shp": b"",
        },
    )


def test_zy3_backward_camera_product() -> None:
    product = read(package(ZY3, metadata()))
    item, p = product.item, props(product)
    assert reader_for(ZY3).name == "sasmac"
    assert item["collection"] == collection_id(CollectionRef("zy-3-01", "BWD", "SC"))
    assert p["processing:level"] == "SC"
    assert p["datetime"] == "2015-12-17T04:15:15Z"  # Beijing time, like the name's stamp
    assert p["start_datetime"] == "2015-12-17T04:15:10.250000Z"
    assert p["eo:cloud_cover"] == 4
    assert p["view:off_nadir"] == 3.5
    assert p["gsd"] == 2.1
    assert p["sat:absolute_orbit"] == 21871
    assert [b["common_name"] for b in p["eo:bands"]] == ["pan"]
    assert item["bbox"] == pytest.approx([112.0, 34.7, 112.7, 35.2])
    assert asset_keys(product) == {
        "metadata": f"{ZY3}/{ZY3}.xml",
        "rpc": f"{ZY3}/IMAGEDATA/{ZY3}_rpc.txt",
        "browse": f"{ZY3}/PREVIEW/{ZY3}_pre.jpg",
        "thumbnail": f"{ZY3}/PREVIEW/{ZY3}_ico.jpg",
    }
    assert product.images == [f"{ZY3}/IMAGEDATA/{ZY3}.tif"]


def test_gf7_mux_product_with_the_other_spellings() -> None:
    xml = metadata(group="ProductInfo", longitude="Longitude", gsd="<ImageGSD><Line>2.6</Line></ImageGSD>")
    product = read(package(GF7, xml))
    p = props(product)
    assert product.item["collection"] == collection_id(CollectionRef("gf-7", "DLC", "SC"))
    assert p["eonode:camera"] == "MUX"
    assert p["gsd"] == 2.6
    assert [b["common_name"] for b in p["eo:bands"]][:4] == ["blue", "green", "red", "nir"]


def test_zy3_long_name_decodes_the_camera_letter() -> None:
    name = "ZY3_01a_mynfavp_278116_20140827_183905_0008_SASMAC_CHN_sec_rel_001_14082905653"
    product = read(package(name, metadata()))
    assert product.item["collection"] == collection_id(CollectionRef("zy-3-01", "FWD", "SC"))
