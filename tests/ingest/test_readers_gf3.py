"""The GF-3 SAR reader on the two real level-2 files and on level-1 variants of them."""

from __future__ import annotations

import re

import pytest

from eonode.ingest.readers import reader_for
from tests.ingest.fakes import (
    GF3_FSI,
    GF3_UFS,
    REAL_PACKAGES,
    DictPackage,
    asset_keys,
    fixture,
    props,
    read,
    real_package,
)

SAR = "https://stac-extensions.github.io/sar/v1.0.0/schema.json"


def per_polarisation(base: str, *pols: str) -> dict[str, bytes]:
    group = base.split("_")[-2]
    out = {f"{base}.incidence.xml": b"<incidence/>"}
    for pol in pols:
        stem = base.replace(f"_{group}_", f"_{pol}_")
        out.update({f"{stem}.tiff": b"", f"{stem}.jpg": b"", f"{stem}.thumb.jpg": b"", f"{stem}.rpc": b""})
    return out


def test_gf3_fsi_dual_polarisation_level2() -> None:
    product = read(real_package(GF3_FSI, per_polarisation(GF3_FSI, "HV", "HH")))
    item, p = product.item, props(product)
    assert reader_for(GF3_FSI).name == "gf3-sar"
    assert item["id"] == GF3_FSI
    assert item["collection"] == "gf3-sar-l2"
    assert SAR in item["stac_extensions"]
    assert "eo:cloud_cover" not in p
    assert p["datetime"] == "2021-01-07T09:54:53.762439Z"  # UTC already
    assert p["start_datetime"] == "2021-01-07T09:54:49.286464Z"
    assert p["end_datetime"] == "2021-01-07T09:54:58.238015Z"
    assert p["processing:level"] == "L2"
    assert p["sar:instrument_mode"] == "FSI"
    assert p["sar:frequency_band"] == "C"
    assert p["sar:center_frequency"] == pytest.approx(5.400012)
    assert p["sar:polarizations"] == ["HH", "HV"]
    assert p["sar:product_type"] == "SLP"
    assert p["sar:observation_direction"] == "right"
    assert p["sar:pixel_spacing_range"] == 2.5
    assert p["view:incidence_angle"] == pytest.approx((35.280714 + 38.456128) / 2)
    assert p["sat:orbit_state"] == "descending"
    assert p["sat:absolute_orbit"] == 23228
    assert p["gsd"] == 5
    assert p["eonode:product_id"] == "5379609"
    assert p["eonode:scene_id"] == "8561186"
    assert p["eonode:receiving_station"] == "SAY"
    assert item["bbox"] == pytest.approx([-65.649846, -19.075238, -65.016435, -18.425655])
    hh = GF3_FSI.replace("_HHHV_", "_HH_")
    hv = GF3_FSI.replace("_HHHV_", "_HV_")
    assert asset_keys(product) == {
        "metadata": f"{GF3_FSI}.meta.xml",
        "metadata-incidence": f"{GF3_FSI}.incidence.xml",
        "rpc": f"{hh}.rpc",
        "rpc-hv": f"{hv}.rpc",
        "browse": f"{hh}.jpg",
        "thumbnail": f"{hh}.thumb.jpg",
    }
    assert product.images == [f"{hh}.tiff", f"{hv}.tiff"]


def test_gf3_ufs_dh_package_holds_hh_only() -> None:
    product = read(real_package(GF3_UFS))
    p = props(product)
    assert p["sar:instrument_mode"] == "UFS"
    assert p["sar:polarizations"] == ["HH"]  # name group DH, one calibrated channel
    assert p["datetime"] == "2022-02-19T08:33:26.401875Z"
    assert p["gsd"] == 3
    assert p["view:incidence_angle"] == pytest.approx((19.030093 + 21.663930) / 2)
    assert p["eonode:receiving_station"] == "MYN"
    assert product.item["bbox"] == pytest.approx([-43.493289, -22.875316, -43.08491, -22.48606])


def _variant(level: str, product_type: str) -> DictPackage:
    """The FSI file renamed to a level-1 product, its product type changed and no channel calibrated."""
    name = GF3_FSI.replace("_L2_HHHV_L2", f"_{level}_HHHV_L1")
    text = fixture(REAL_PACKAGES[GF3_FSI][0])[1].decode()
    text = text.replace("<productType>SLP</productType>", f"<productType>{product_type}</productType>")
    for parent in ("CalibrationConst", "QualifyValue"):
        text = re.sub(rf"<{parent}>.*?</{parent}>", lambda m: re.sub(r">[-0-9.]+<", ">NULL<", m[0]), text, flags=re.S)
    return DictPackage(name, {f"{name}.meta.xml": text.encode()})


@pytest.mark.parametrize(("level", "product_type"), [("L1A", "SLC"), ("L1B", "SLP")])
def test_gf3_level1_names_set_the_level_and_the_group_gives_the_channels(level: str, product_type: str) -> None:
    product = read(_variant(level, product_type))
    p = props(product)
    assert product.item["collection"] == f"gf3-sar-{level.lower()}"
    assert p["processing:level"] == level
    assert p["sar:product_type"] == product_type
    assert p["sar:polarizations"] == ["HH", "HV"]  # from the HHHV group when no channel is calibrated
