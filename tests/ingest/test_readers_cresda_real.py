"""The CRESDA optical reader on the real GF-1, GF-2 and GF-4 metadata files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from eonode.ingest.model import CollectionRef
from eonode.ingest.readers import reader_for
from eonode.models.temporal import parse_instant
from eonode.satellites import collection_id, satellite
from tests.ingest.fakes import (
    GF1_PMS,
    GF1_WFV,
    GF2_2018,
    GF2_2020,
    GF2_2023,
    GF4_PMI,
    REAL_PACKAGES,
    asset_keys,
    fixture,
    fixture_package,
    props,
    read,
    real_package,
)


def quicklooks(base: str, *parts: str) -> dict[str, bytes]:
    """Image, browse and thumbnail members (their content does not matter to readers)."""
    files = {}
    for part in parts:
        stem = f"{base}-{part}" if part else base
        files.update({f"{stem}.tiff": b"II*\0", f"{stem}.jpg": b"\xff\xd8", f"{stem}_thumb.jpg": b"\xff\xd8"})
    return files


def test_gf1_pms1_package_is_one_product_led_by_its_multispectral_part() -> None:
    product = read(real_package(GF1_PMS, quicklooks(GF1_PMS, "PAN1", "MSS1")))
    item, p = product.item, props(product)
    assert reader_for(GF1_PMS).name == "cresda-optical"
    assert item["id"] == GF1_PMS
    assert item["collection"] == "gf1-pms-l1a"
    assert p["platform"] == "gf-1"
    assert p["constellation"] == "gaofen"
    assert p["instruments"] == ["pms"]
    assert p["eonode:camera"] == "PMS1"
    # CenterTime 2022-06-24 13:39:09 is Beijing time
    assert p["datetime"] == "2022-06-24T05:39:09Z"
    assert p["start_datetime"] == "2022-06-24T05:39:07Z"
    assert p["end_datetime"] == "2022-06-24T05:39:12Z"
    assert p["processing:datetime"] == "2022-06-27T00:56:44Z"
    assert p["processing:level"] == "L1A"
    assert p["eo:cloud_cover"] == 0
    assert p["gsd"] == 2  # PAN 2 m beats MSS 8 m
    assert p["view:sun_elevation"] == pytest.approx(90 - 25.1707)
    assert p["view:sun_azimuth"] == pytest.approx(106.266)
    assert p["view:incidence_angle"] == pytest.approx(90 - 86.267)
    assert p["view:azimuth"] == pytest.approx(90.3444)
    assert p["view:off_nadir"] == pytest.approx(1.76003, abs=1e-4)
    assert p["sat:absolute_orbit"] == 49375
    assert p["eonode:product_id"] == "6547030"
    assert p["eonode:scene_id"] == "10306610"
    assert [b["name"] for b in p["eo:bands"]] == ["B1", "B2", "B3", "B4", "PAN"]
    # footprint: hull of the MSS and PAN corners (PAN's top right reaches 69.6159)
    assert item["bbox"] == pytest.approx([69.153, 33.1053, 69.6159, 33.5025])
    assert asset_keys(product) == {
        "metadata": f"{GF1_PMS}-MSS1.xml",
        "metadata-pan1": f"{GF1_PMS}-PAN1.xml",
        "rpc": f"{GF1_PMS}-MSS1.rpb",
        "browse": f"{GF1_PMS}-MSS1.jpg",
        "thumbnail": f"{GF1_PMS}-MSS1_thumb.jpg",
    }
    assert product.images == [f"{GF1_PMS}-MSS1.tiff", f"{GF1_PMS}-PAN1.tiff"]
    media = {a.key: (a.media_type, a.roles) for a in product.assets}
    assert media["metadata"] == ("application/xml", ("metadata",))
    assert media["rpc"] == ("text/plain", ("metadata",))
    assert media["browse"] == ("image/jpeg", ("overview",))
    assert media["thumbnail"] == ("image/jpeg", ("thumbnail",))


def test_gf1_wfv3_single_file_product() -> None:
    product = read(real_package(GF1_WFV, quicklooks(GF1_WFV, "")))
    p = props(product)
    assert product.item["collection"] == "gf1-wfv-l1a"
    assert p["eonode:camera"] == "WFV3"
    assert p["datetime"] == "2020-05-23T05:03:08Z"
    assert p["eo:cloud_cover"] == 38
    assert p["gsd"] == 16
    assert p["view:sun_elevation"] == pytest.approx(90 - 13.7242)
    assert p["eonode:product_id"] == "4819525"
    assert p["eonode:scene_id"] == "7762114"
    assert [b["common_name"] for b in p["eo:bands"]] == ["blue", "green", "red", "nir"]
    assert set(asset_keys(product)) == {"metadata", "rpc", "browse", "thumbnail"}
    assert product.images == [f"{GF1_WFV}.tiff"]


def test_gf2_2020_centre_time_crosses_midnight_into_the_utc_date_of_the_name() -> None:
    product = read(real_package(GF2_2020))
    p = props(product)
    assert product.item["collection"] == "gf2-pms-l1a"
    assert p["datetime"] == "2020-05-10T17:03:20Z"  # 2020-05-11 01:03:20 Beijing; name says 20200510
    assert p["gsd"] == pytest.approx(0.81)
    assert p["eo:cloud_cover"] == 2
    assert p["eonode:product_id"] == "4793969"
    assert p["eonode:scene_id"] == "7714925"
    west, south, east, north = product.item["bbox"]
    assert -91.3 < west < east < -90.7  # W91.0
    assert 17.3 < south < north < 17.9


def test_gf2_2018_southern_name_with_mss_only() -> None:
    product = read(real_package(GF2_2018))
    p = props(product)
    assert p["datetime"] == "2018-10-02T02:54:23Z"
    assert p["gsd"] == pytest.approx(3.24)
    assert p["eo:cloud_cover"] == 1
    assert p["eonode:camera"] == "PMS2"
    assert [b["name"] for b in p["eo:bands"]] == ["B1", "B2", "B3", "B4"]
    assert product.item["bbox"][1] < 0 < product.item["bbox"][3] + 0.5  # S0.0 straddles the equator


def test_gf2_2023_package_keeps_xml_ids_and_unknown_cloud() -> None:
    extra = {
        f"{GF2_2023}-MSS2.tiff": b"",
        f"{GF2_2023}-PAN2.tiff": b"",
        f"{GF2_2023}-MSS2.rpb.gcp": b"5780 100.807099\n",
        f"{GF2_2023}-MSS2.rpb.aux.xml": b"<l0DataMeta/>",
    }
    product = read(real_package(GF2_2023, extra))
    item, p = product.item, props(product)
    assert item["id"] == GF2_2023  # the name keeps the int32-clamped id...
    assert p["eonode:product_id"] == "12889847001"  # ...the XML has the real one, as text
    assert p["eonode:scene_id"] == "12889847"
    assert "eo:cloud_cover" not in p  # CloudPercent 101: not assessed
    assert p["eonode:receiving_station"] == "KRN"
    assert p["datetime"] == "2023-02-13T14:17:10Z"
    assert p["start_datetime"] == "2023-02-13T14:17:08Z"
    assert p["gsd"] == pytest.approx(0.81)
    assert p["view:sun_elevation"] == pytest.approx(90 - 43.811504364013672)
    assert item["bbox"] == pytest.approx([-72.466165, -36.820845, -72.144510, -36.564890], abs=1e-6)
    assert asset_keys(product) == {
        "metadata": f"{GF2_2023}.xml",
        "metadata-mss2": f"{GF2_2023}-MSS2.xml",
        "metadata-pan2": f"{GF2_2023}-PAN2.xml",
        "order": "order.xml",
        "rpc-pan2": f"{GF2_2023}-PAN2.rpb",
    }
    assert product.images == [f"{GF2_2023}-MSS2.tiff", f"{GF2_2023}-PAN2.tiff"]


def test_gf4_pmi_package_holds_pms_and_irs() -> None:
    product = read(real_package(GF4_PMI))
    item, p = product.item, props(product)
    gf4 = satellite("gf-4")
    assert item["collection"] == collection_id(CollectionRef("gf-4", "PMS", "L1A"))  # led by the PMS part
    assert p["instruments"] == list(dict.fromkeys([gf4.sensor("PMS").id, gf4.sensor("IRS").id]))
    assert p["datetime"] == "2025-07-23T04:13:05Z"  # PMS snapshot, Beijing 12:13:05
    assert p["start_datetime"] == "2025-07-23T04:13:05Z"
    assert p["end_datetime"] == "2025-07-23T04:13:49Z"  # IRS snapshot
    assert p["eo:cloud_cover"] == 75
    assert p["gsd"] == 50
    assert p["view:sun_elevation"] == pytest.approx(80.7106)  # GF-4 writes the elevation itself
    assert p["view:sun_azimuth"] == pytest.approx(350.177)
    assert p["view:incidence_angle"] == pytest.approx(90 - 68.9071)
    assert p["eonode:product_id"] == "773662"
    # PMS numbers PAN first (Bands 1,2,3,4,5); the IRS band is also numbered 1
    assert [b.get("common_name") for b in p["eo:bands"]] == ["pan", "blue", "green", "red", "nir", None]
    assert item["bbox"] == pytest.approx([117.577, 8.58051, 122.624, 13.2104])
    assert asset_keys(product) == {
        "metadata": "GF4_PMS_E119.9_N10.2_20250723_L1A0000773662.xml",
        "metadata-irs": "GF4_IRS_E119.9_N10.2_20250723_L1A0000773662.xml",
        "rpc": "GF4_PMS_E119.9_N10.2_20250723_L1A0000773662.rpb",
    }


@pytest.mark.parametrize(
    ("name", "camera", "common_names", "gsd"),
    [
        ("GF4_PMS_E119.9_N10.2_20250723_L1A0000773662", "PMS", ["pan", "blue", "green", "red", "nir"], 50),
        ("GF4_IRS_E119.9_N10.2_20250723_L1A0000773662", "IRS", [None], 400),
    ],
)
def test_gf4_single_sensor_packages(name: str, camera: str, common_names: list[str | None], gsd: float) -> None:
    tag = "gf4-pmi-pms" if camera == "PMS" else "gf4-pmi-irs"
    product = read(fixture_package(name, [f"{tag}__{name}.xml"]))
    assert product.item["collection"] == collection_id(CollectionRef("gf-4", camera, "L1A"))
    assert props(product)["gsd"] == gsd
    assert [b.get("common_name") for b in props(product)["eo:bands"]] == common_names


@pytest.mark.parametrize("name", [GF1_PMS, GF1_WFV, GF2_2020, GF2_2018, GF2_2023])
def test_leo_centre_time_equals_receive_time_as_utc(name: str) -> None:
    """§4.9 quirk 1: ReceiveTime is the UTC centre time (to the second); the Beijing conversion must agree."""
    main = fixture(REAL_PACKAGES[name][0])[1].decode()
    receive = re.search(r"<ReceiveTime>([^<]+)</ReceiveTime>", main)
    assert receive is not None
    expected = datetime.fromisoformat(receive[1]).replace(tzinfo=UTC)
    got = parse_instant(props(read(real_package(name)))["datetime"])
    assert abs(got - expected) <= timedelta(seconds=1)
