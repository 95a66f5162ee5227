"""The files of a CRESDA-style package: what each one is and which sub-product (part) it belongs to.

A package holds one product, sometimes split in parts named by a suffix (``-MSS1``, ``-PAN``,
``-BWDMUX``, ``-1`` for a tile, ``_SW`` for a spectrometer half) or, in GF-4 PMI packages, by the
sensor token of the inner names (``GF4_PMS_…`` and ``GF4_IRS_…`` inside ``GF4_PMI_…``). Parts are
ranked so that the multispectral one leads (its browse image and footprint represent the product).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eonode.ingest.model import AssetSpec, PackageContents
from eonode.ingest.readers._common import asset

# (suffix, kind) — longest suffixes first, so ``.rpb.aux.xml`` is not taken for metadata
_KINDS = (
    (".rpb.aux.xml", "skip"),
    (".aux.xml", "skip"),
    (".rpb.gcp", "skip"),
    ("_thumb.jpg", "thumbnail"),
    (".thumb.jpg", "thumbnail"),
    ("-thumb.jpg", "thumbnail"),
    ("_ico.jpg", "thumbnail"),
    ("_pre.jpg", "browse"),
    (".browse.jpg", "browse"),
    (".jpg", "browse"),
    (".jpeg", "browse"),
    (".meta.xml", "xml"),
    (".xml", "xml"),
    (".rpb", "rpc"),
    ("_rpc.txt", "rpc"),
    (".rpc", "rpc"),
    (".tiff", "image"),
    (".tif", "image"),
    (".geotiff", "image"),
)
_PART = re.compile(
    r"(?:-?(?P<named>BWDPAN|BWDMUX|FWDPAN|MSS[12]?|PAN[12]?|MUX|NAD|FWD|BWD)"
    r"|[-_](?P<half>SW|VN|HR[12])|-(?P<tile>\d))$",
    re.IGNORECASE,
)
_SENSOR_TOKEN = re.compile(r"^[A-Z0-9]+_(?P<sensor>[A-Z][A-Z0-9]{1,4})_[EWNS]\d")
_RANK = {"MSS": 1, "MUX": 1, "BWDMUX": 1, "PMS": 1, "NAD": 2, "VN": 2, "HR1": 2, "PAN": 3, "BWDPAN": 3, "IRS": 3}
PANCHROMATIC_PARTS = frozenset({"PAN", "PAN1", "PAN2", "BWDPAN", "FWDPAN", "NAD", "FWD", "BWD"})


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    name: str
    kind: str  # xml | order | rpc | image | browse | thumbnail | skip | other
    part: str | None  # upper case: MSS1, PAN, BWDMUX, PMS, 1, SW...


def rank(part: str | None) -> tuple[int, int]:
    """Sort key of a part: the whole scene first, then multispectral, nadir, panchromatic, others, tiles."""
    if part is None:
        return (0, 0)
    if part.isdigit():
        return (9, int(part))
    base = part[:3] if part[:3] in ("MSS", "PAN") else part
    return (_RANK.get(base, 5), 0)


def _kind(name: str) -> tuple[str, str]:
    lower = name.lower()
    if lower == "order.xml":
        return "order", name[:-4]
    for suffix, kind in _KINDS:
        if lower.endswith(suffix):
            return kind, name[: -len(suffix)]
    return "other", name


def _part(stem: str, package_sensor: str) -> str | None:
    m = _PART.search(stem)
    if m:
        return (m["named"] or m["half"] or m["tile"]).upper()
    token = _SENSOR_TOKEN.match(stem)
    if token and token["sensor"].upper() != package_sensor.upper():
        return token["sensor"].upper()  # GF4_PMS_… inside a GF4_PMI_… package
    return None


def classify(pkg: PackageContents, package_sensor: str) -> list[Entry]:
    """Every member, with its kind and part, in path order."""
    out = []
    for member in sorted(pkg.members, key=lambda m: m.path):
        kind, stem = _kind(member.name)
        out.append(Entry(member.path, member.name, kind, _part(stem, package_sensor)))
    return out


def of_kind(entries: Iterable[Entry], kind: str) -> list[Entry]:
    """Entries of one kind, leading part first."""
    return sorted((e for e in entries if e.kind == kind), key=lambda e: (rank(e.part), e.path))


def _suffix(part: str | None) -> str:
    return "scene" if part is None else part.lower()


def _label(part: str | None) -> str:
    return "" if part is None else f" ({part})"


def _pick(entries: Sequence[Entry], lead: str | None) -> Entry | None:
    """The lead part's file, else the scene-level one, else the best ranked."""
    for wanted in (lead, None):
        for e in entries:
            if e.part == wanted:
                return e
    return entries[0] if entries else None


def package_assets(entries: Sequence[Entry], main_xml: str, lead: str | None) -> list[AssetSpec]:
    """Assets for every metadata XML and RPC file, and the lead part's browse image and thumbnail."""
    out: list[AssetSpec] = []
    keys: set[str] = set()

    def add(key: str, path: str, kind: str, title: str) -> None:
        unique, n = key, 2
        while unique in keys:
            unique, n = f"{key}-{n}", n + 1
        keys.add(unique)
        out.append(asset(unique, path, kind, title))

    for e in of_kind(entries, "xml"):
        if e.path == main_xml:
            add("metadata", e.path, "metadata", "Product metadata")
        else:
            add(f"metadata-{_suffix(e.part)}", e.path, "metadata", f"Metadata{_label(e.part)}")
    for e in of_kind(entries, "order"):
        add("order", e.path, "metadata", "Processing order")
    for e in of_kind(entries, "rpc"):
        key = "rpc" if e.part == lead else f"rpc-{_suffix(e.part)}"
        add(key, e.path, "rpc", f"Rational polynomial coefficients{_label(e.part)}")
    browse = _pick(of_kind(entries, "browse"), lead)
    if browse:
        add("browse", browse.path, "browse", "Browse image")
    thumb = _pick(of_kind(entries, "thumbnail"), lead)
    if thumb:
        add("thumbnail", thumb.path, "thumbnail", "Thumbnail")
    return out
