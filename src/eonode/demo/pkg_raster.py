"""Small real rasters: textured 10-bit scenes, GeoTIFF / COG / NetCDF-4 (HDF5) bytes and JPEG quicklooks.

Everything goes through rasterio (GDAL), never Pillow. The pixel values are not noise: a few random
sinusoids make water, bare soil and vegetation patches with per-band spectral levels, and cloud
cover paints soft bright blobs over about the announced fraction of the scene, so browse images
look like satellite scenes and cloud percentages are roughly true.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.io import MemoryFile

Bbox = tuple[float, float, float, float]

# Top-of-atmosphere DN levels (10-bit) for (water, bare soil, vegetation); thermal bands are flat-ish.
PROFILES: dict[str, tuple[float, float, float]] = {
    "pan": (170, 420, 320),
    "coastal": (260, 330, 280),
    "blue": (230, 330, 260),
    "green": (200, 360, 300),
    "yellow": (180, 370, 280),
    "red": (150, 390, 220),
    "rededge1": (120, 400, 380),
    "rededge2": (100, 420, 520),
    "nir": (80, 450, 640),
    "nir2": (70, 460, 600),
    "mwir": (610, 700, 660),
    "tir": (560, 640, 600),
}


def transform_for(bbox: Bbox, width: int, height: int) -> Affine:
    minx, miny, maxx, maxy = bbox
    return Affine((maxx - minx) / width, 0.0, minx, 0.0, -(maxy - miny) / height, maxy)


def field(rng: np.random.Generator, height: int, width: int, waves: int = 6, fmax: float = 6.0) -> np.ndarray:
    """A smooth random surface in about [-1, 1]: a sum of plane waves with random directions."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.zeros((height, width), np.float32)
    for _ in range(waves):
        fx, fy = rng.uniform(-fmax, fmax, 2) / np.array([width, height])
        out += np.sin(2 * math.pi * (fx * x + fy * y) + rng.uniform(0, 2 * math.pi)).astype(np.float32)
    return out / math.sqrt(waves / 2.0)


def scene(
    rng: np.random.Generator, kinds: list[str], height: int, width: int, cloud: int, bits: int = 10
) -> np.ndarray:
    """A (bands, height, width) uint16 image: land cover patches + fine texture + clouds."""
    water = field(rng, height, width, 4, 3.0) < -1.0
    veg = 1.0 / (1.0 + np.exp(-3.0 * field(rng, height, width, 8, 9.0)))
    grain = rng.normal(0.0, 1.0, (height, width)).astype(np.float32)
    cover = cloud if cloud <= 100 else int(rng.integers(0, 30))
    alpha = np.zeros((height, width), np.float32)
    if cover > 0:
        cf = field(rng, height, width, 6, 4.0) + 0.15 * grain
        thr = np.quantile(cf, 1.0 - cover / 100.0) if cover < 100 else float(cf.min()) - 1.0
        alpha = np.clip((cf - thr) / 0.3, 0.0, 1.0)
    top = (1 << bits) - 1
    bands = []
    for kind in kinds:
        w_dn, s_dn, v_dn = PROFILES[kind]
        land = s_dn * (1.0 - veg) + v_dn * veg
        dn = np.where(water, w_dn, land) * (1.0 + 0.04 * grain) * top / 1023.0
        dn = dn * (1.0 - alpha) + 0.93 * top * alpha
        bands.append(np.clip(dn, 1, top))
    return np.stack(bands).astype(np.uint16)


def speckle(rng: np.random.Generator, height: int, width: int, *, complex_iq: bool) -> np.ndarray:
    """SAR-looking data: gamma speckle over a smooth backscatter field; int16 I/Q pairs for SLC."""
    sigma = np.clip(300.0 + 150.0 * field(rng, height, width, 6, 5.0), 20.0, None)
    if complex_iq:
        amp = np.sqrt(sigma)[None] * rng.normal(0.0, 8.0, (2, height, width))
        return np.clip(amp, -32767, 32767).astype(np.int16)
    amp = sigma * rng.gamma(4.0, 0.25, (height, width))
    return np.clip(amp, 1, 65535).astype(np.uint16)[None]


def resize(img: np.ndarray, max_side: int) -> np.ndarray:
    """Resample (block-average, then nearest) so the long side is ``max_side``; keeps the dtype."""
    _, h, w = img.shape
    step = max(h, w) // max_side
    if step > 1:
        h2, w2 = h // step, w // step
        img = (
            img[:, : h2 * step, : w2 * step]
            .reshape(img.shape[0], h2, step, w2, step)
            .mean(axis=(2, 4))
            .astype(img.dtype)
        )
        _, h, w = img.shape
    scale = max_side / max(h, w)
    rows = np.minimum((np.arange(max(1, round(h * scale))) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(max(1, round(w * scale))) / scale).astype(int), w - 1)
    return img[:, rows][:, :, cols]


def quicklook(arr: np.ndarray, max_side: int, rgb: tuple[int, int, int] | None) -> np.ndarray:
    """An 8-bit browse: chosen bands (or the first), resized, stretched between the 2nd and 98th percentiles."""
    img = resize((arr[list(rgb)] if rgb is not None else arr[:1]).astype(np.float32), max_side)
    out = np.empty(img.shape, np.uint8)
    for i, band in enumerate(img):
        lo, hi = np.percentile(band, (2, 98))
        out[i] = np.clip((band - lo) / max(hi - lo, 1e-6) * 255.0, 0, 255).astype(np.uint8)
    return out


def _write(
    arr: np.ndarray,
    driver: str,
    bbox: Bbox,
    crs: str,
    *,
    nodata: float | None = None,
    tags: dict[str, str] | None = None,
    band_tags: list[dict[str, str]] | None = None,
    scale: float | None = None,
    offset: float | None = None,
    **options: Any,
) -> bytes:
    count, height, width = arr.shape
    with MemoryFile() as mem:
        with mem.open(
            driver=driver,
            width=width,
            height=height,
            count=count,
            dtype=arr.dtype.name,
            crs=crs,
            transform=transform_for(bbox, width, height),
            nodata=nodata,
            **options,
        ) as ds:
            ds.write(arr)
            if tags:
                ds.update_tags(**tags)
            for i, bt in enumerate(band_tags or [], 1):
                ds.update_tags(i, **bt)
            if scale is not None:
                ds.scales = (scale,) * count
                ds.offsets = (offset or 0.0,) * count
        return bytes(mem.read())


def geotiff(arr: np.ndarray, bbox: Bbox, *, crs: str = "EPSG:4326", **kw: Any) -> bytes:
    """An uncompressed, stripped GeoTIFF (what L1A products ship)."""
    return _write(arr, "GTiff", bbox, crs, **kw)


def jpeg(img: np.ndarray, bbox: Bbox) -> bytes:
    """A JPEG quicklook (the georeferencing is given only to keep GDAL quiet; JPEG does not store it)."""
    return _write(img, "JPEG", bbox, "EPSG:4326", quality=85)


def _copy_to_file(arr: np.ndarray, bbox: Bbox, path: Path, driver: str, crs: str, **kw: Any) -> bytes:
    keep = {k: kw.pop(k) for k in ("tags", "band_tags", "nodata", "scale", "offset") if k in kw}
    src_bytes = _write(arr, "GTiff", bbox, crs, **keep)
    with MemoryFile(src_bytes) as mem, mem.open() as src:
        rasterio.shutil.copy(src, str(path), driver=driver, **kw)
    data = path.read_bytes()
    path.unlink()
    return data


def cog(arr: np.ndarray, bbox: Bbox, scratch: Path, **kw: Any) -> bytes:
    """A cloud-optimised GeoTIFF (deflate) in EPSG:4326."""
    return _copy_to_file(arr, bbox, scratch / "cog.tif", "COG", "EPSG:4326", COMPRESS="DEFLATE", **kw)


def netcdf4(arr: np.ndarray, bbox: Bbox, scratch: Path, **kw: Any) -> bytes:
    """A NetCDF-4 file — an HDF5 file underneath (``\\x89HDF`` signature), CF grid in EPSG:4326.

    The netCDF driver only writes real files whose name ends in ``.nc``; the bytes may then be
    shipped under any name (``.h5`` for HY-1 granules)."""
    return _copy_to_file(
        arr,
        bbox,
        scratch / "data.nc",
        "netCDF",
        "EPSG:4326",
        FORMAT="NC4",
        COMPRESS="DEFLATE",
        WRITE_GDAL_VERSION="NO",
        WRITE_GDAL_HISTORY="NO",
        **kw,
    )
