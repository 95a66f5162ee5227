"""Thematic Level-2 products: ``<SAT>_<SENSOR>_<THEME>_<LEVEL>_<START>[_<END>][_<AREA>]`` with a JSON sidecar."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from shapely.geometry import shape

from eonode.errors import InvalidMetadata, MalformedPackage, MissingMetadata
from eonode.ingest.readers import reader_for
from tests.ingest.fakes import DictPackage, asset_keys, props, read

SST = "HY1C_COCTS_SST_L2B_20240501"
LC = "GF1_WFV_LC_L2C_20230101_20231231_CN"


def sidecar(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "theme": "sst",
        "satellite": "H1C",
        "sensor": "cocts",
        "level": "L2B",
        "start": "2024-05-01T00:00:00Z",
        "end": "2024-05-01T23:59:59Z",
        "bbox": [105.0, 5.0, 125.0, 25.0],
    }
    return {**base, **fields}


def package(name: str, doc: dict[str, Any] | bytes, data: str = ".tif", quicklooks: bool = True) -> DictPackage:
    members = {f"{name}.json": doc if isinstance(doc, bytes) else orjson.dumps(doc)}
    if data:
        members[f"{name}{data}"] = b"II*\0"
    if quicklooks:
        members.update({f"{name}.jpg": b"", f"{name}_thumb.jpg": b""})
    return DictPackage(name, members)


def test_daily_sst_product() -> None:
    doc = sidecar(variable="sst", scale_factor=0.01, add_offset=0, nodata=-32768, resolution_m=4000, version="1.2")
    product = read(package(SST, doc))
    item, p = product.item, props(product)
    assert reader_for(SST).name == "thematic-l2"
    assert item["id"] == SST
    assert item["collection"] == "sst-hy1c-cocts"
    assert product.collection.theme == "sst"
    assert p["datetime"] is None  # a period: start and end instead
    assert p["start_datetime"] == "2024-05-01T00:00:00Z"
    assert p["end_datetime"] == "2024-05-01T23:59:59Z"
    assert p["platform"] == "hy-1c"
    assert p["processing:level"] == "L2B"
    assert p["gsd"] == 4000
    assert p["eonode:theme"] == "sst"
    assert p["eonode:unit"] == "°C"  # the theme's unit when the sidecar gives none
    assert (p["eonode:scale_factor"], p["eonode:add_offset"], p["eonode:nodata"]) == (0.01, 0, -32768)
    assert p["processing:version"] == "1.2"
    assert item["geometry"]["type"] == "Polygon"
    assert item["bbox"] == [105.0, 5.0, 125.0, 25.0]
    assert asset_keys(product) == {
        "cog": f"{SST}.tif",
        "metadata": f"{SST}.json",
        "browse": f"{SST}.jpg",
        "thumbnail": f"{SST}_thumb.jpg",
    }
    assert next(a for a in product.assets if a.key == "cog").roles == ("data",)
    assert next(a for a in product.assets if a.key == "metadata").media_type == "application/json"
    assert product.images == [f"{SST}.tif"]


def test_yearly_land_cover_netcdf_with_footprint_and_area() -> None:
    footprint = {"type": "Polygon", "coordinates": [[[80, 20], [80, 45], [120, 45], [120, 20], [80, 20]]]}  # clockwise
    doc = sidecar(
        theme="land-cover", satellite="gf-1", sensor="WFV", level="L2C", start="2023-01-01T00:00:00Z",
        end="2023-12-31T23:59:59Z", bbox=[80, 20, 120, 45], footprint=footprint, unit="class", title="China 2023",
        producer="eonode lab", algorithm="random-forest", product="LC2023CN",
    )  # fmt: skip
    product = read(package(LC, doc, data=".nc", quicklooks=False))
    item, p = product.item, props(product)
    assert item["collection"] == "land-cover-gf1-wfv"
    assert p["eonode:area"] == "CN"
    assert p["eonode:unit"] == "class"
    assert p["title"] == "China 2023"
    assert p["eonode:product_id"] == "LC2023CN"
    assert p["eonode:algorithm"] == "random-forest"
    assert shape(item["geometry"]).exterior.is_ccw  # re-oriented counter-clockwise
    assert product.images == [f"{LC}.nc"]
    assert asset_keys(product) == {"netcdf": f"{LC}.nc", "metadata": f"{LC}.json"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theme": "chlorophyll"}, "theme"),
        ({"satellite": "HY1D"}, "satellite"),
        ({"sensor": "czi"}, "sensor"),
        ({"level": "L2A"}, "level"),
        ({"start": "yesterday"}, "RFC 3339"),
        ({"end": "2024-04-30T00:00:00Z"}, "after end"),
        ({"bbox": [1, 2, 3]}, "bbox"),
        ({"bbox": [10, 5, 5, 10]}, "bbox"),
        ({"footprint": {"type": "Point", "coordinates": [1, 2]}}, "footprint"),
        ({"resolution_m": -5}, "resolution_m"),
        ({"start": None}, "start"),
    ],
)
def test_sidecar_that_disagrees_or_is_incomplete(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidMetadata, match=message):
        read(package(SST, sidecar(**change)))


def test_sidecar_that_is_not_json() -> None:
    with pytest.raises(InvalidMetadata, match="not valid JSON"):
        read(package(SST, b"{theme: sst"))
    with pytest.raises(InvalidMetadata, match="JSON object"):
        read(package(SST, b"[1, 2]"))


def test_missing_sidecar_or_data() -> None:
    with pytest.raises(MissingMetadata):
        read(DictPackage(SST, {f"{SST}.tif": b""}))
    with pytest.raises(MalformedPackage, match="no data file"):
        read(package(SST, sidecar(), data=""))
