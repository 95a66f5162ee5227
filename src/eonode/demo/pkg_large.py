"""A GF-2 PMS-like package of any size, streamed with bounded memory, for ingest benchmarks.

The image bytes are produced chunk by chunk straight into the archive: a hand-written header of an
uncompressed, stripped GeoTIFF (classic TIFF, BigTIFF beyond 4 GiB) followed by deterministic
16-bit noise, which neither gzip nor zip can shrink. Only a few MiB are ever held in memory.
"""

from __future__ import annotations

import math
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import rasterio

from eonode.demo import pkg_archive
from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_cresda import product_xml
from eonode.demo.pkg_geo import Footprint
from eonode.demo.pkg_model import Built, Ctx, Entry
from eonode.demo.pkg_optical import BGRN, Part, browse, meta, plan
from eonode.demo.pkg_rpc import fit, rpb_text

CHUNK = 4 << 20
SUFFIXES = {".tar.gz": "tar.gz", ".tgz": "tar.gz", ".tar": "tar", ".zip": "zip"}
_SHORT, _LONG, _DOUBLE, _LONG8 = 3, 4, 12, 16
_FMT = {_SHORT: "H", _LONG: "I", _DOUBLE: "d", _LONG8: "Q"}


def _pack(kind: int, values: list[float] | list[int]) -> bytes:
    return struct.pack(f"<{len(values)}{_FMT[kind]}", *values)


@dataclass(frozen=True, slots=True)
class StreamedTiff:
    """An uncompressed GeoTIFF (EPSG:4326, UInt16, pixel-interleaved) whose pixels are generated on read."""

    width: int
    height: int
    bands: int
    bbox: tuple[float, float, float, float]
    seed: int

    def _layout(self) -> tuple[bytes, int]:
        row = self.width * self.bands * 2
        rows_per_strip = max(1, (1 << 20) // row)
        strips = math.ceil(self.height / rows_per_strip)
        data = self.height * row
        big = data + (1 << 20) > 0xFFFFFFFF
        offset_type = _LONG8 if big else _LONG
        minx, miny, maxx, maxy = self.bbox
        counts = [rows_per_strip * row] * (strips - 1) + [(self.height - rows_per_strip * (strips - 1)) * row]
        geokeys = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]
        entries: list[tuple[int, int, list[float] | list[int]]] = [
            (256, _LONG, [self.width]),
            (257, _LONG, [self.height]),
            (258, _SHORT, [16] * self.bands),
            (259, _SHORT, [1]),
            (262, _SHORT, [1]),
            (273, offset_type, [0] * strips),
            (277, _SHORT, [self.bands]),
            (278, _LONG, [rows_per_strip]),
            (279, offset_type, counts),
            (284, _SHORT, [1]),
            *([(338, _SHORT, [0] * (self.bands - 1))] if self.bands > 1 else []),
            (339, _SHORT, [1] * self.bands),
            (33550, _DOUBLE, [(maxx - minx) / self.width, (maxy - miny) / self.height, 0.0]),
            (33922, _DOUBLE, [0.0, 0.0, 0.0, minx, maxy, 0.0]),
            (34735, _SHORT, geokeys),
        ]
        inline = 8 if big else 4
        head = 16 if big else 8
        pos = head + (8 if big else 2) + len(entries) * (20 if big else 12) + (8 if big else 4)
        where: dict[int, int] = {}
        for tag, kind, values in entries:
            size = len(_pack(kind, values))
            if size > inline:
                where[tag] = pos
                pos += size + size % 2
        data_offset = -(-pos // 16) * 16
        strip_offsets = [data_offset + i * rows_per_strip * row for i in range(strips)]
        entries = [(t, k, strip_offsets if t == 273 else v) for t, k, v in entries]
        out = bytearray(b"II" + (struct.pack("<HHHQ", 43, 8, 0, 16) if big else struct.pack("<HI", 42, 8)))
        out += struct.pack("<Q" if big else "<H", len(entries))
        extra = bytearray()
        for tag, kind, values in entries:
            payload = _pack(kind, values)
            if tag in where:
                value = struct.pack("<Q" if big else "<I", where[tag])
                extra += payload + b"\0" * (len(payload) % 2)
            else:
                value = payload.ljust(inline, b"\0")
            out += struct.pack("<HHQ" if big else "<HHI", tag, kind, len(values)) + value
        out += b"\0" * (8 if big else 4)
        out += extra
        out += b"\0" * (data_offset - len(out))
        return bytes(out), data

    @property
    def size(self) -> int:
        header, data = self._layout()
        return len(header) + data

    def chunks(self) -> Iterator[bytes]:
        header, data = self._layout()
        yield header
        rng = np.random.Generator(np.random.PCG64([self.seed & 0xFFFFFFFF, self.width, self.bands]))
        left = data
        while left:
            n = min(CHUNK, left)
            yield rng.bytes(n)
            left -= n


def _shape(pixels: float, aspect: float) -> tuple[int, int]:
    width = max(16, round(math.sqrt(pixels * aspect)))
    return width, max(16, round(pixels / width))


def make_large_package(path: Path, size_bytes: int, *, seed: int = 20260101, quicklooks: bool = True) -> Path:
    """A GF-2 PMS1 package whose two images hold about ``size_bytes`` (PAN ≈ 80 %, MSS ≈ 20 %).

    ``path`` ending in ``.tar.gz``, ``.tgz``, ``.tar`` or ``.zip`` is the package to write (format by
    suffix; its members are named after the file's stem, so give it a product name if it is to be
    ingested); any other ``path`` is a folder that receives ``<generated GF-2 name>.tar.gz``. The
    XML states the real pixel counts of the streamed images; gzip/zip use the fastest level since
    the noise is incompressible anyway."""
    path = Path(path)
    pan_w, pan_h = _shape(size_bytes * 0.8 / 2, 29200 / 27620)
    mss_w, mss_h = _shape(size_bytes * 0.2 / 8, 7300 / 6908)
    with tempfile.TemporaryDirectory() as scratch, rasterio.Env(GDAL_PAM_ENABLED="NO"):
        ctx = Ctx("gf2-pms-large", 0, seed, quicklooks, Path(scratch))
        shot = plan(
            ctx,
            launch=date(2014, 8, 19),
            first=date(2015, 1, 1),
            width_km=mss_w * 0.00324,
            height_km=mss_h * 0.00324,
            id_base=4_000_000,
            roll_sd=6.0,
            orbits_per_day=15.2,
        )
        name = shot.name("GF2", "PMS1", "L1A")
        built = Built(name, shot.produced)
        rng = ctx.rng("meta")
        for code, kinds, bands, gsd, w, h in (
            ("MSS1", BGRN, "1,2,3,4", 3.24, mss_w, mss_h),
            ("PAN1", ("pan",), "5", 0.81, pan_w, pan_h),
        ):
            part = Part(f"{name}-{code}", kinds, bands, gsd, w, h, pan=len(kinds) == 1)
            fp: Footprint = shot.footprint
            tiff = StreamedTiff(w, h, len(kinds), fp.bbox, seed + len(kinds))
            built.entries.append(Entry(part.stem + ".tiff", tiff))
            built.add(part.stem + ".rpb", rpb_text(fit(fp, w, h, ctx.rng("rpc" + code))))
            built.add(
                part.stem + ".xml",
                product_xml(meta(shot, part, "GF2", "PMS1", rng, earth_ellipsoid="WGS84"), "classic"),
            )
            if quicklooks:
                small = raster.scene(ctx.nprng(code), list(kinds), 96, 96, shot.cloud)
                browse(built, part.stem, small, fp, kinds)
    suffix = next((sfx for sfx in SUFFIXES if path.name.endswith(sfx)), None)
    if suffix is None:
        path.mkdir(parents=True, exist_ok=True)
        return pkg_archive.write(path, name, built.entries, "tar.gz", built.produced, level=1)
    stem = path.name[: -len(suffix)]
    if stem != name:
        built.entries = [Entry(e.path.replace(name, stem), e.blob, e.quicklook) for e in built.entries]
    path.parent.mkdir(parents=True, exist_ok=True)
    written = pkg_archive.write(path.parent, stem, built.entries, SUFFIXES[suffix], built.produced, level=1)
    if written != path:  # ".tgz"
        written.replace(path)
    return path
