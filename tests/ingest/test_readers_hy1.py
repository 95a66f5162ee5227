"""HY-1C/1D COCTS and CZI: the nested ``ProductMetaData`` of product-formats §4.4, both corner spellings."""

from __future__ import annotations

import pytest

from eonode.ingest.readers import reader_for
from tests.ingest.fakes import DictPackage, asset_keys, props, read

COCTS = "H1C_OPER_OCT_L1B_20210101T042500_20210101T043000_12148_10"
CZI = "H1D_OPER_CZI_L1B_20220310T031500_00103_10"


def corner_block(spelling: str) -> str:
    values = {
        "TopLeft": (30.5, 110.0),
        "TopRight": (31.0, 135.0),
        "BottomRight": (12.0, 131.0),
        "BottomLeft": (11.5, 112.0),
    }
    out = []
    for corner, (lat, lon) in values.items():
        if spelling == "short":
            leaves = f"<Latitude>{lat}</Latitude><Longitude>{lon}</Longitude>"
        else:
            leaves = f"<{corner}_Latitude>{lat}</{corner}_Latitude><{corner}_Longitude>{lon}</{corner}_Longitude>"
        out.append(f"<{corner}>{leaves}</{corner}>")
    return "".join(out)


def meta_xml(satellite: str, sensor: str, spelling: str, *, resolution: str = "1100", cloud: str = "35") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ProductMetaData>
  <SatelliteID>{satellite}</SatelliteID>
  <SensorID>{sensor}</SensorID>
  <OrbitID>12148</OrbitID>
  <ReceiveStation>BJS</ReceiveStation>
  <SceneID>H1C0012148</SceneID>
  <ProductName>{COCTS}</ProductName>
  <TimeType>UTC</TimeType>
  <SatelliteInfo><OrbitFlag>D</OrbitFlag><WorkMode>NORMAL</WorkMode><SatOffNadir>-0.3</SatOffNadir></SatelliteInfo>
  <QualityInfo><ProductIntegrity>100</ProductIntegrity><CloudPercent>{cloud}</CloudPercent></QualityInfo>
  <ProductInfo>
    <ProductLevel>L1B</ProductLevel><ProductFormat>HDF5</ProductFormat><ProductVersion>10</ProductVersion>
    <SoftwareName>HY1PS</SoftwareName><SoftwareVersion>1.0</SoftwareVersion><SourseData>L1A</SourseData>
    <ProduceTime>2021-01-01 05:10:00</ProduceTime><Resolution>{resolution}</Resolution>
  </ProductInfo>
  <CorrectionParams><EarthEllipsoid>WGS84</EarthEllipsoid><ProjectType /></CorrectionParams>
  <ImageInfo>
    <StartTime>2021-01-01 04:25:00</StartTime><EndTime>2021-01-01 04:30:00</EndTime>
    <CentreTime>2021-01-01 04:27:30</CentreTime><DataSize>512</DataSize><DataUnit>MB</DataUnit>
    <CentreLocation><CenterLongitude>122.0</CenterLongitude><CenterLatitude>21.2</CenterLatitude></CentreLocation>
    <Corners>{corner_block(spelling)}</Corners>
  </ImageInfo>
</ProductMetaData>
""".encode()


@pytest.mark.parametrize("spelling", ["short", "prefixed"])
def test_hy1c_cocts_granule(spelling: str) -> None:
    members = {
        f"{COCTS}.h5": b"\x89HDF",
        f"{COCTS}.meta.xml": meta_xml("HY1C", "COCTS", spelling),
        f"{COCTS}.jpg": b"",
        f"{COCTS}_thumb.jpg": b"",
    }
    product = read(DictPackage(COCTS, members))
    item, p = product.item, props(product)
    assert reader_for(COCTS).name == "hy1-ocean-colour"
    assert item["id"] == COCTS
    assert item["collection"] == "hy1c-cocts-l1b"
    assert p["datetime"] == "2021-01-01T04:27:30Z"  # UTC
    assert p["start_datetime"] == "2021-01-01T04:25:00Z"
    assert p["end_datetime"] == "2021-01-01T04:30:00Z"
    assert p["processing:datetime"] == "2021-01-01T05:10:00Z"
    assert p["gsd"] == 1100
    assert p["eo:cloud_cover"] == 35
    assert p["sat:absolute_orbit"] == 12148
    assert p["sat:orbit_state"] == "descending"
    assert p["view:off_nadir"] == pytest.approx(0.3)
    assert p["eonode:scene_id"] == "H1C0012148"
    assert p["eonode:receiving_station"] == "BJS"
    assert len(p["eo:bands"]) == 10
    assert item["bbox"] == pytest.approx([110.0, 11.5, 135.0, 31.0])
    assert asset_keys(product) == {
        "metadata": f"{COCTS}.meta.xml",
        "browse": f"{COCTS}.jpg",
        "thumbnail": f"{COCTS}_thumb.jpg",
    }
    assert product.images == [f"{COCTS}.h5"]


def test_hy1d_czi_with_a_geotiff_and_resolution_in_km() -> None:
    members = {
        f"{CZI}.h5": b"",
        f"{CZI}.tiff": b"",
        f"{CZI}.meta.xml": meta_xml("HY1D", "CZI", "prefixed", resolution="0.05km", cloud="101"),
    }
    product = read(DictPackage(CZI, members))
    p = props(product)
    assert product.item["collection"] == "hy1d-czi-l1b"
    assert p["gsd"] == pytest.approx(50)
    assert "eo:cloud_cover" not in p
    assert [b["common_name"] for b in p["eo:bands"]] == ["blue", "green", "red", "nir"]
    assert product.images == [f"{CZI}.tiff", f"{CZI}.h5"]  # the GeoTIFF renders a quicklook
