"""One package in, one catalogued product out: on SQLite and on PostgreSQL+PostGIS."""

from __future__ import annotations

import hashlib
import tarfile
import warnings
from pathlib import Path

import pytest
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from eonode.demo.packages import FAMILIES, generate_package
from eonode.errors import PackageChecksumMismatch, UnreadableImage
from eonode.ingest.pipeline import Expected
from eonode.node import Node
from eonode.storage.store import blob_digest


def _blob_bytes(node: Node, href: str) -> bytes:
    digest = blob_digest(href)
    assert digest is not None, href
    return b"".join(node.blobs.read(digest))


def _assert_assets_stored(node: Node, item: dict) -> None:
    for key, asset in item["assets"].items():
        data = _blob_bytes(node, asset["href"])
        assert len(data) == asset["file:size"], key
        assert asset["file:checksum"] == "1220" + hashlib.sha256(data).hexdigest(), key


def test_a_package_becomes_an_item_with_all_its_assets(node: Node, tmp_path: Path) -> None:
    path = generate_package("gf1-pms", 0, out_dir=tmp_path, quicklooks=True)
    before = node.catalog.last_seq()
    result = node.ingester().ingest(path)
    assert result.outcome == "created"
    assert result.collection == "gf1-pms-l1a"
    stored = node.catalog.get_item(result.collection, result.item_id).doc
    assert stored["id"] == path.name.removesuffix(".tar.gz")
    assets = stored["assets"]
    assert {"data", "metadata", "browse", "thumbnail"} <= assets.keys()
    assert any(key.startswith("rpc") for key in assets)
    assert _blob_bytes(node, assets["data"]["href"]) == path.read_bytes()
    assert assets["data"]["type"] == "application/gzip"
    assert not result.rendered_quicklooks  # the package ships its own
    _assert_assets_stored(node, stored)
    collection = node.catalog.get_collection("gf1-pms-l1a")
    assert collection["eonode:satellite"]["series"] == "Gaofen"
    assert node.catalog.last_seq() > before


def test_reingesting_the_same_package_changes_nothing(node: Node, tmp_path: Path) -> None:
    path = generate_package("gf2-pms", 1, out_dir=tmp_path)
    ingester = node.ingester()
    first = ingester.ingest(path)
    seq = node.catalog.last_seq()
    blobs = sorted(b.sha256 for b in node.blobs.list())
    again = ingester.ingest(path)
    assert (first.outcome, again.outcome) == ("created", "unchanged")
    assert node.catalog.last_seq() == seq  # no change event
    assert sorted(b.sha256 for b in node.blobs.list()) == blobs


def _reprocessed(path: Path, out: Path) -> Path:
    """The same product name with one metadata file rewritten, as a reprocessing run delivers it."""
    unpacked = out / "unpacked"
    with tarfile.open(path) as tar:
        tar.extractall(unpacked, filter="data")
    xml = sorted(unpacked.rglob("*.xml"))[0]
    xml.write_bytes(xml.read_bytes() + b"\n<!-- reprocessed -->\n")
    target = out / path.name
    with tarfile.open(target, "w:gz") as tar:
        for top in sorted(unpacked.iterdir()):
            tar.add(top, arcname=top.name)
    return target


def test_a_reprocessed_package_updates_the_item_and_the_feed_records_it(node: Node, tmp_path: Path) -> None:
    path = generate_package("gf6-wfv", 2, out_dir=tmp_path)
    ingester = node.ingester()
    first = ingester.ingest(path)
    old_data = node.catalog.get_item(first.collection, first.item_id).doc["assets"]["data"]["href"]
    seq = node.catalog.last_seq()
    (tmp_path / "v2").mkdir()
    result = ingester.ingest(_reprocessed(path, tmp_path / "v2"))
    assert result.outcome == "updated"
    events = node.catalog.changes_since(seq)
    assert [(e.kind, e.op, e.item_id) for e in events] == [("item", "update", first.item_id)]
    new_data = events[0].body["assets"]["data"]["href"] if events[0].body else None
    assert new_data is not None and new_data != old_data


def test_missing_quicklooks_are_rendered_from_the_image(node: Node, tmp_path: Path) -> None:
    path = generate_package("gf1-wfv", 3, out_dir=tmp_path, quicklooks=False)
    result = node.ingester().ingest(path)
    assert result.rendered_quicklooks
    item = node.catalog.get_item(result.collection, result.item_id).doc
    for key, longest in (("browse", 1024), ("thumbnail", 256)):
        asset = item["assets"][key]
        assert asset["type"] == "image/jpeg"
        with warnings.catch_warnings(), MemoryFile(_blob_bytes(node, asset["href"])) as mem:
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a JPEG has no georeferencing
            img = mem.open()
            assert img.driver == "JPEG"
            assert max(img.width, img.height) <= longest
            assert img.read().std() > 5  # a picture, not a blank
            img.close()
    _assert_assets_stored(node, item)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_ingests(sqlite_node: Node, tmp_path: Path, family: str) -> None:
    path = generate_package(family, 4, out_dir=tmp_path)
    result = sqlite_node.ingester().ingest(path)
    assert result.outcome == "created"
    item = sqlite_node.catalog.get_item(result.collection, result.item_id).doc
    assert item["properties"]["datetime"] or item["properties"]["start_datetime"]
    assert {"data", "browse", "thumbnail"} <= item["assets"].keys()
    _assert_assets_stored(sqlite_node, item)


@pytest.mark.parametrize("fmt", ["tar", "zip", "dir"])
def test_every_package_kind_ingests(sqlite_node: Node, tmp_path: Path, fmt: str) -> None:
    path = generate_package("zy3-cresda", 5, out_dir=tmp_path, fmt=fmt)
    ingester = sqlite_node.ingester()
    assert ingester.ingest(path).outcome == "created"
    assert ingester.ingest(path).outcome == "unchanged"


def test_delivered_checksums_are_verified(sqlite_node: Node, tmp_path: Path) -> None:
    path = generate_package("gf1-pms", 6, out_dir=tmp_path)
    data = path.read_bytes()
    ingester = sqlite_node.ingester()
    with pytest.raises(PackageChecksumMismatch, match="md5"):
        ingester.ingest(path, Expected(md5="0" * 32))
    with pytest.raises(PackageChecksumMismatch, match="sha256"):
        ingester.ingest(path, Expected(sha256="0" * 64))
    assert sqlite_node.catalog.item_count() == 0
    good = Expected(sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest())
    assert ingester.ingest(path, good).outcome == "created"
    assert ingester.ingest(path, good).outcome == "unchanged"  # the re-ingest path verifies too
    with pytest.raises(PackageChecksumMismatch):
        ingester.ingest(path, Expected(sha256="1" * 64))


def test_an_image_that_is_not_a_tiff_is_refused(sqlite_node: Node, tmp_path: Path) -> None:
    path = generate_package("gf1-wfv", 7, out_dir=tmp_path, fmt="dir", quicklooks=False)
    tiff = sorted(path.rglob("*.tiff")) + sorted(path.rglob("*.tif"))
    tiff[0].write_bytes(b"this is not an image" * 100)
    with pytest.raises(UnreadableImage):
        sqlite_node.ingester().ingest(path)
    assert sqlite_node.catalog.item_count() == 0


def test_a_damaged_tiff_is_refused_when_quicklooks_are_rendered(sqlite_node: Node, tmp_path: Path) -> None:
    path = generate_package("gf1-wfv", 8, out_dir=tmp_path, fmt="dir", quicklooks=False)
    tiff = (sorted(path.rglob("*.tiff")) + sorted(path.rglob("*.tif")))[0]
    tiff.write_bytes(tiff.read_bytes()[:64])  # a TIFF header with nothing behind it
    with pytest.raises(UnreadableImage):
        sqlite_node.ingester().ingest(path)
    assert sqlite_node.catalog.item_count() == 0


def test_rendered_quicklooks_are_deterministic(sqlite_node: Node, tmp_path: Path) -> None:
    path = generate_package("gf3-sar", 9, out_dir=tmp_path, quicklooks=False)
    ingester = sqlite_node.ingester()
    first = ingester.ingest(path)
    assert first.rendered_quicklooks
    assert ingester.ingest(path).outcome == "unchanged"  # the same JPEG bytes both times
