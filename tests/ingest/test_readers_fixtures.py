"""Every real vendor metadata file is read, as part of the package it came from."""

from __future__ import annotations

import pytest

from eonode.catalog.documents import prepare_item
from tests.ingest.fakes import FIXTURES, REAL_PACKAGES, read, real_package


def test_every_fixture_file_belongs_to_a_tested_package() -> None:
    on_disk = {p.name for p in FIXTURES.iterdir() if p.name != "SOURCES.md"}
    assert on_disk, f"no fixtures found in {FIXTURES}"
    grouped = [f for files in REAL_PACKAGES.values() for f in files]
    assert sorted(grouped) == sorted(on_disk)


@pytest.mark.parametrize("name", sorted(REAL_PACKAGES))
def test_real_package_reads_into_a_valid_item_that_keeps_every_metadata_file(name: str) -> None:
    product = read(real_package(name))
    prepared = prepare_item(product.item, product.collection.id)
    assert prepared.collection == product.collection.id
    kept = {a.member for a in product.assets}
    assert {f.split("__", 1)[1] for f in REAL_PACKAGES[name]} <= kept
    item = product.item
    assert item["type"] == "Feature"
    assert item["stac_version"] == "1.1.0"
    assert "assets" not in item
    assert "links" not in item
    assert item["geometry"]["type"] == "Polygon"
    props = item["properties"]
    assert props["datetime"].endswith("Z")
    for key in ("eonode:product_id", "eonode:scene_id"):
        assert key not in props or isinstance(props[key], str)
    used = {k.split(":")[0] for k in props if ":" in k and not k.startswith("eonode:")}
    assert {url.split("/")[3] for url in item["stac_extensions"]} == used
