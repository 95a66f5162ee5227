"""What a product reader receives (a package's listing and small files) and what it returns
(a STAC item draft and which package files become assets).

Readers are plugins: one module per product family in ``eonode.ingest.readers``, each exposing
``READER`` (an object with ``name``, ``matches`` and ``read``). They never touch the file system,
the blob store or the catalogue — the pipeline does that — so they are pure functions of the
package contents and easy to test with real metadata files.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eonode.errors import MalformedPackage, MissingMetadata

SMALL_MEMBER_LIMIT = 16 * 1024 * 1024  # metadata, RPC and quicklook files are far smaller
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def bare_name(package_name: str) -> str:
    """The product name: a package's file name without its archive suffix (any case)."""
    lower = package_name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return package_name[: -len(suffix)]
    return package_name


@dataclass(frozen=True, slots=True)
class Member:
    """One file inside a package."""

    path: str  # relative POSIX path inside the package (a folder prefix is kept)
    size: int

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


class PackageContents(Protocol):
    """A package as a reader sees it."""

    @property
    def name(self) -> str:
        """The product name: the package file or folder name without its extension."""

    @property
    def members(self) -> Sequence[Member]:
        """Every regular file in the package."""

    def read(self, member: Member | str) -> bytes:
        """The bytes of a small member (at most SMALL_MEMBER_LIMIT); MalformedPackage otherwise."""


def find(pkg: PackageContents, pattern: str) -> list[Member]:
    """Members whose base name matches a shell pattern (case-insensitive), in path order."""
    pat = pattern.lower()
    return sorted((m for m in pkg.members if fnmatch.fnmatchcase(m.name.lower(), pat)), key=lambda m: m.path)


def require(pkg: PackageContents, pattern: str, what: str) -> Member:
    """The one member a family requires (the first if several match), or MissingMetadata."""
    found = find(pkg, pattern)
    if not found:
        raise MissingMetadata(f"{pkg.name}: no {what} ({pattern}) in the package")
    return found[0]


def read_text(pkg: PackageContents, member: Member | str) -> str:
    data = pkg.read(member)
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise MalformedPackage(f"{pkg.name}: {getattr(member, 'path', member)} is not UTF-8 or GB18030 text")


@dataclass(frozen=True, slots=True)
class AssetSpec:
    """A package file to keep as its own STAC asset (the package itself is always the 'data' asset)."""

    key: str  # e.g. "metadata", "metadata-pan1", "rpc-mss1", "browse", "thumbnail"
    member: str  # Member.path
    media_type: str
    roles: tuple[str, ...]
    title: str


@dataclass(frozen=True, slots=True)
class CollectionRef:
    """The collection an item belongs to: a satellite, one of its sensors, a processing level."""

    platform: str  # registry id of the satellite, e.g. "gf-1"
    sensor: str  # registry id of the sensor, e.g. "pms"
    level: str  # "L1A", "L2", ...
    theme: str | None = None  # thematic (Level-2) products: the theme id, e.g. "sst"

    @property
    def id(self) -> str:
        from eonode.satellites import collection_id

        return collection_id(self)


@dataclass(slots=True)
class Product:
    """What a reader makes of a package."""

    item: dict[str, Any]  # STAC Item without assets and links: type, id, collection, geometry, properties
    collection: CollectionRef
    assets: list[AssetSpec] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # raster members, for quicklooks the package lacks
    # When the package has no browse/thumbnail, the pipeline renders them from images[0].


class Reader(Protocol):
    """One product family."""

    name: str  # e.g. "cresda-optical"

    def matches(self, product_name: str) -> bool:
        """Whether this reader handles products with this name (a cheap pattern test)."""

    def read(self, pkg: PackageContents) -> Product:
        """The product, or an IngestError subclass saying why not."""
