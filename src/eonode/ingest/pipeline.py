"""One package in, one catalogued product out — or an IngestError saying why not.

The order of work makes ingestion atomic without a transaction spanning the blob store and the
catalogue: every blob (the package itself, its metadata, RPC and quicklooks) is stored first,
each verified by its sha256; the item that refers to them is written last, in one catalogue
transaction. A crash before that write leaves only unreferenced blobs (content-addressed, so a
retry reuses them) and the package still waiting in the inbox.

Re-ingesting an identical package stores nothing new and writes nothing (no change event); a
reprocessed package under the same name replaces the item, and the change feed records an update.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eonode.catalog.store import CatalogStore
from eonode.errors import (
    AlreadyExists,
    ChecksumMismatch,
    CollectionNotFound,
    IngestError,
    InvalidMetadata,
    InvalidStac,
    ItemNotFound,
    MalformedPackage,
    PackageChecksumMismatch,
    UnreadableImage,
)
from eonode.ingest.model import SMALL_MEMBER_LIMIT, AssetSpec, Product
from eonode.ingest.packages import Limits, Package
from eonode.ingest.readers import reader_for
from eonode.models.extensions import EXTENSIONS
from eonode.satellites import collection_document
from eonode.storage.store import BlobInfo, BlobStore, blob_digest, blob_href, iter_file

log = logging.getLogger("eonode.ingest")

Outcome = Literal["created", "updated", "unchanged"]
FILE_EXTENSION = EXTENSIONS["file"]
PACKAGE_MEDIA_TYPES = {
    "tar.gz": "application/gzip",
    "tar": "application/x-tar",
    "zip": "application/zip",
    "dir": "application/x-tar",  # a folder is stored as a tar of its files
}
# First bytes of the image formats products are delivered in.
IMAGE_MAGIC = (
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"II+\x00",  # BigTIFF, little-endian
    b"MM\x00+",  # BigTIFF, big-endian
    b"CDF\x01",  # NetCDF classic
    b"CDF\x02",  # NetCDF 64-bit offset
    b"\x89HDF\r\n\x1a\n",  # NetCDF-4 / HDF5
)


@dataclass(frozen=True, slots=True)
class Expected:
    """Checksums the delivering system published next to the package (sidecar files)."""

    sha256: str | None = None
    md5: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    name: str
    collection: str
    item_id: str
    outcome: Outcome
    package_bytes: int
    seconds: float
    rendered_quicklooks: bool


class Ingester:
    """Turns packages into items; shared by the CLI, the inbox watcher and the demo."""

    def __init__(
        self,
        catalog: CatalogStore,
        blobs: BlobStore,
        *,
        work_dir: Path,
        limits: Limits | None = None,
        quicklooks: bool = True,
    ) -> None:
        self.catalog = catalog
        self.blobs = blobs
        self.work_dir = work_dir
        self.limits = limits or Limits()
        self.quicklooks = quicklooks
        self._known_collections: set[str] = set()

    def ingest(self, path: Path, expected: Expected | None = None) -> IngestResult:
        started = time.monotonic()
        pkg = Package(path, self.limits)
        product = _read(pkg)
        self._check_images(pkg, product)
        collection = self._ensure_collection(product)
        existing = self._existing_assets(collection, product.item["id"])
        assets: dict[str, dict[str, Any]] = {"data": self._store_package(pkg, expected or Expected(), existing)}
        for spec in product.assets:
            assets[spec.key] = self._store_member(pkg, spec)
        rendered = False
        if self.quicklooks and not {"browse", "thumbnail"} <= assets.keys():
            rendered = self._add_quicklooks(pkg, product, assets)
        item = _with_assets(product.item, collection, assets)
        try:
            result = self.catalog.put_item(item, collection)
        except InvalidStac as exc:
            message = f"{pkg.name}: the item made from its metadata is invalid: {exc.description}"
            raise InvalidMetadata(message) from None
        outcome: Outcome = "unchanged" if result.op is None else ("created" if result.op == "create" else "updated")
        seconds = time.monotonic() - started
        log.info("ingested %s into %s: %s (%.2f s)", pkg.name, collection, outcome, seconds)
        return IngestResult(
            pkg.name, collection, item["id"], outcome, int(assets["data"]["file:size"]), seconds, rendered
        )

    # -- steps --------------------------------------------------------------------------------
    def _check_images(self, pkg: Package, product: Product) -> None:
        for member in product.images:
            head = pkg.head(member)
            if not head.startswith(IMAGE_MAGIC):
                raise UnreadableImage(f"{pkg.name}: {member} is not a TIFF or NetCDF file")

    def _ensure_collection(self, product: Product) -> str:
        ref = product.collection
        collection = ref.id
        if collection in self._known_collections:
            return collection
        try:
            self.catalog.get_collection(collection)
        except CollectionNotFound:
            try:
                self.catalog.create_collection(collection_document(ref))
                log.info("created collection %s from the satellite registry", collection)
            except AlreadyExists:
                pass  # another ingest process created it first
        self._known_collections.add(collection)
        return collection

    def _existing_assets(self, collection: str, item_id: str) -> dict[str, Any]:
        try:
            return dict(self.catalog.get_item(collection, item_id).doc.get("assets", {}))
        except ItemNotFound:
            return {}

    def _store_package(self, pkg: Package, expected: Expected, existing: dict[str, Any]) -> dict[str, Any]:
        md5 = hashlib.md5(usedforsecurity=False) if expected.md5 else None
        chunks: Iterable[bytes] = pkg.chunks()
        if md5 is not None:
            chunks = _feeding(chunks, md5)
        info = self._unchanged_package(pkg, existing.get("data"), expected)
        if info is None:
            try:
                info = self.blobs.put(chunks, expected_sha256=expected.sha256)
            except ChecksumMismatch as exc:
                raise PackageChecksumMismatch(f"{pkg.name}: {exc.description} (from the .sha256 file)") from None
        elif md5 is not None:
            for _ in chunks:
                pass
        if md5 is not None and md5.hexdigest() != expected.md5:
            raise PackageChecksumMismatch(f"{pkg.name}: expected md5 {expected.md5}, got {md5.hexdigest()}")
        return _asset(
            info,
            media_type=PACKAGE_MEDIA_TYPES[pkg.kind],
            roles=("data",),
            title="Product package",
        )

    def _unchanged_package(self, pkg: Package, stored: dict[str, Any] | None, expected: Expected) -> BlobInfo | None:
        """The stored blob when the item already holds exactly this package (a re-ingest): hashing
        it is cheaper than writing a second copy only to find it exists."""
        if stored is None or pkg.kind == "dir" or stored.get("file:size") != pkg.path.stat().st_size:
            return None
        digest = blob_digest(str(stored.get("href", "")))
        if digest is None or not self.blobs.exists(digest):
            return None
        sha = hashlib.sha256()
        for chunk in pkg.chunks():
            sha.update(chunk)
        if sha.hexdigest() != digest:
            return None
        if expected.sha256 is not None and expected.sha256 != digest:
            raise PackageChecksumMismatch(f"{pkg.name}: expected sha256 {expected.sha256}, got {digest}")
        return BlobInfo(digest, pkg.path.stat().st_size)

    def _store_member(self, pkg: Package, spec: AssetSpec) -> dict[str, Any]:
        """One package file as its own blob: small ones from memory, big ones streamed."""
        size = next((m.size for m in pkg.members if m.path == spec.member), None)
        if size is None:
            raise MalformedPackage(f"{pkg.name}: the reader named {spec.member!r}, which the package lacks")
        if size <= SMALL_MEMBER_LIMIT:
            info = self.blobs.put([pkg.read(spec.member)], expected_size=size)
        else:
            with pkg.open_member(spec.member) as stream:
                info = self.blobs.put(iter_file(stream), expected_size=size)
        return _asset(info, media_type=spec.media_type, roles=spec.roles, title=spec.title)

    def _add_quicklooks(self, pkg: Package, product: Product, assets: dict[str, dict[str, Any]]) -> bool:
        """Render what the package lacks: from its browse image when it has one, else from its
        first image. Returns whether anything was rendered."""
        source_member = _browse_member(product) if "browse" in assets else next(iter(product.images), None)
        if source_member is None:
            return False
        from eonode.ingest.quicklook import render  # rasterio loads only when a quicklook is rendered

        self.work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work_dir, prefix="quicklook-") as tmp:
            local = Path(tmp) / Path(source_member).name
            pkg.extract(source_member, local)
            looks = render(local, pkg.name)
        if "browse" not in assets:
            info = self.blobs.put([looks.browse])
            assets["browse"] = _asset(info, media_type="image/jpeg", roles=("overview",), title="Browse (rendered)")
        if "thumbnail" not in assets:
            info = self.blobs.put([looks.thumbnail])
            assets["thumbnail"] = _asset(
                info, media_type="image/jpeg", roles=("thumbnail",), title="Thumbnail (rendered)"
            )
        return True


def _read(pkg: Package) -> Product:
    """Run the reader; it is a pure function of the package, so whatever it raises is the
    package's fault (an IngestError), never a reason to retry."""
    reader = reader_for(pkg.name)
    try:
        return reader.read(pkg)
    except IngestError:
        raise
    except Exception as exc:
        raise InvalidMetadata(f"{pkg.name}: the {reader.name} reader failed: {type(exc).__name__}: {exc}") from None


def _browse_member(product: Product) -> str | None:
    return next((spec.member for spec in product.assets if spec.key == "browse"), None)


def _feeding(chunks: Iterable[bytes], digest: Any) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def _asset(info: BlobInfo, *, media_type: str, roles: tuple[str, ...], title: str) -> dict[str, Any]:
    return {
        "href": blob_href(info.sha256),
        "type": media_type,
        "roles": list(roles),
        "title": title,
        "file:size": info.size,
        "file:checksum": info.multihash,
    }


def _with_assets(draft: dict[str, Any], collection: str, assets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    item = dict(draft)
    item["collection"] = collection
    item.setdefault("stac_version", "1.1.0")
    extensions = list(item.get("stac_extensions", []))
    if FILE_EXTENSION not in extensions:
        extensions.append(FILE_EXTENSION)
    item["stac_extensions"] = extensions
    item["assets"] = assets
    item.setdefault("links", [])
    return item


def ingest_error_reason(exc: IngestError) -> dict[str, str]:
    """The quarantine reason of a failed package."""
    return {"code": exc.code, "reason": exc.description}
