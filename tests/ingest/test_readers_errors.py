"""Bad input: every reader says what is wrong, with the package and the file, as an IngestError."""

from __future__ import annotations

import pytest

from eonode.errors import InvalidMetadata, MissingMetadata, UnknownProduct
from eonode.ingest.readers import reader_for
from tests.ingest.fakes import (
    CBERS4_MUX,
    DROP,
    GF1_WFV,
    GF3_FSI,
    DictPackage,
    productmeta_xml,
    read,
)

HY1 = "H1C_OPER_OCT_L1B_20210101T042500_20210101T043000_12148_10"
SASMAC = "zy301a_bwd_021871_044148_20151217121515_01_sec_0001_1601044458"
CB04 = "CB04-P10-365-64-B2-20170819-L20003200907"

# (package name, where its metadata file goes)
FAMILIES = {
    "cresda-optical": (GF1_WFV, f"{GF1_WFV}.xml"),
    "gf3-sar": (GF3_FSI, f"{GF3_FSI}.meta.xml"),
    "cbers-inpe": (CBERS4_MUX, f"{CBERS4_MUX}.xml"),
    "cbers-cresda": (CB04, f"{CB04}.xml"),
    "hy1-ocean-colour": (HY1, f"{HY1}.meta.xml"),
    "sasmac": (SASMAC, f"{SASMAC}.xml"),
}
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<ProductMetaData><SatelliteID>&lol2;</SatelliteID></ProductMetaData>"""


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_package_without_its_metadata_file(family: str) -> None:
    name, _ = FAMILIES[family]
    assert reader_for(name).name == family
    with pytest.raises(MissingMetadata, match=name):
        read(DictPackage(name, {f"{name}.tiff": b"II*\0", f"{name}.jpg": b""}))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<ProductMetaData><SatelliteID>GF1</Sat", "not well-formed"),
        (b"", "empty"),
        (BOMB, "forbidden"),
        (b"\xff\xfe\xfa\xff<garbage>", "encoding|UTF|well-formed"),
        (b"<?xml version='1.0'?><unexpected><root/></unexpected>", "root|layout"),
        ("<?xml version='1.0'?><ProductMetaData/>".encode("utf-16-le"), "NUL"),  # UTF-16 without a BOM
    ],
)
def test_a_metadata_file_that_is_not_the_expected_xml(family: str, content: bytes, message: str) -> None:
    name, member = FAMILIES[family]
    with pytest.raises(InvalidMetadata, match=message) as caught:
        read(DictPackage(name, {member: content}))
    assert name in str(caught.value.description)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"TopLeftLatitude": DROP}, "TopLeftLatitude"),
        ({"BottomRightLongitude": None}, "BottomRightLongitude"),
        ({"TopLeftLatitude": "133.5"}, "longitude/latitude"),
        ({"CenterTime": "24/06/2022 13:39"}, "CenterTime"),
        ({"CenterTime": "2022-02-30 13:39:09"}, "CenterTime"),
        ({"ImageGSD": "eight"}, "ImageGSD"),
        ({"CenterTime": DROP, "StartTime": DROP, "EndTime": DROP}, "no acquisition time"),
        ({"ProductID": "12 889"}, "ProductID"),
    ],
)
def test_bad_values_in_product_metadata(fields: dict[str, str | None], message: str) -> None:
    with pytest.raises(InvalidMetadata, match=message):
        read(DictPackage(GF1_WFV, {f"{GF1_WFV}.xml": productmeta_xml(SensorID="WFV3", **fields)}))


@pytest.mark.parametrize(
    "name",
    [
        "GF8_PMS_E100.0_N30.0_20240101_L1A0000000001",
        "LANDSAT_8_OLI_20240101",
        "S2A_MSIL1C_20240101T030000_N0510_R032_T49RGP_20240101T050000",
        "GF5_EMI_20190101_003766_L10000036541",
        "FY3D_MERSI_GBAL_L1_20190101_0000_1000M_MS",
        "",
    ],
)
def test_unknown_product_names(name: str) -> None:
    with pytest.raises(UnknownProduct):
        reader_for(name)


def test_a_name_a_family_recognises_but_the_registry_does_not() -> None:
    name = "ZY02C_PMS_E124.8_N51.5_20130616_L1C0001232488"
    assert reader_for(name).name == "cresda-optical"
    with pytest.raises(UnknownProduct, match="ZY02C"):
        read(DictPackage(name, {f"{name}-MUX.xml": productmeta_xml(SatelliteID="ZY02C")}))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_reader_given_a_name_it_does_not_know(family: str) -> None:
    reader = reader_for(FAMILIES[family][0])
    with pytest.raises(UnknownProduct):
        reader.read(DictPackage("not_a_product", {"not_a_product.xml": b"<x/>"}))
