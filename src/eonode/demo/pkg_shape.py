"""A one-polygon ESRI shapefile (``.shp``/``.shx``/``.dbf``/``.prj``) for footprint files of newer packages.

rasterio has no vector writer and the packages only need the footprint ring, so the few fixed
binary structures are written directly (ESRI Shapefile Technical Description, dBase III).
"""

from __future__ import annotations

import struct
from datetime import datetime

from eonode.demo.pkg_geo import Footprint

PRJ_WGS84 = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)


def _header(length_words: int, bbox: tuple[float, float, float, float]) -> bytes:
    return (
        struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_words)
        + struct.pack("<2i", 1000, 5)
        + struct.pack("<8d", *bbox, 0.0, 0.0, 0.0, 0.0)
    )


def footprint_shapefile(fp: Footprint, name: str, produced: datetime) -> dict[str, bytes]:
    """The files by extension: ``shp``, ``shx``, ``dbf``, ``prj``; the ring is clockwise (outer ring)."""
    ring = [*fp.corners, fp.corners[0]]  # TL → TR → BR → BL is clockwise with north up
    bbox = fp.bbox
    content = struct.pack("<i4d2i", 5, *bbox, 1, len(ring)) + struct.pack("<i", 0)
    content += b"".join(struct.pack("<2d", lon, lat) for lon, lat in ring)
    record = struct.pack(">2i", 1, len(content) // 2) + content
    shp = _header((100 + len(record)) // 2, bbox) + record
    shx = _header((100 + 8) // 2, bbox) + struct.pack(">2i", 50, len(content) // 2)
    width = 100
    field = b"NAME".ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([width, 0]) + b"\0" * 14
    header_len = 32 + len(field) + 1
    dbf = (
        struct.pack("<4BIHH", 3, produced.year - 1900, produced.month, produced.day, 1, header_len, 1 + width)
        + b"\0" * 20
        + field
        + b"\r"
        + b" "
        + name.encode("ascii")[:width].ljust(width, b" ")
        + b"\x1a"
    )
    return {"shp": shp, "shx": shx, "dbf": dbf, "prj": PRJ_WGS84.encode("ascii")}
