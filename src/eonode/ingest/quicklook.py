"""Browse and thumbnail images rendered from a product image, for packages that ship none.

The image is read once at reduced resolution (GDAL picks an overview when the file has them,
otherwise it samples the full-resolution rows), stretched per band between its 2nd and 98th
percentiles of valid pixels, and encoded as JPEG. Memory is bounded by the output size and a small
GDAL block cache, not by the image size.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.io import MemoryFile

from eonode.errors import UnreadableImage

BROWSE_SIZE = 1024
THUMBNAIL_SIZE = 256
GDAL_ENV = {"GDAL_CACHEMAX": 64, "GDAL_NUM_THREADS": 1, "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}


@dataclass(frozen=True, slots=True)
class Quicklooks:
    browse: bytes  # JPEG, longest side at most BROWSE_SIZE
    thumbnail: bytes  # JPEG, longest side at most THUMBNAIL_SIZE


@contextmanager
def _gdal() -> Iterator[None]:
    """A small block cache, one thread, and no warning for pictures without georeferencing."""
    with warnings.catch_warnings(), rasterio.Env(**GDAL_ENV):
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        yield


def render(image: Path, name: str) -> Quicklooks:
    """Both quicklooks of one image file; UnreadableImage if GDAL cannot read it."""
    try:
        with _gdal(), rasterio.open(image) as src:
            rgb, valid = _read_display_bands(src, BROWSE_SIZE)
    except (RasterioError, OSError, ValueError) as exc:
        raise UnreadableImage(f"{name}: cannot read {image.name} ({exc})") from None
    stretched = _stretch(rgb, valid)
    browse = _encode_jpeg(stretched)
    step = max(1, -(-max(stretched.shape[1:]) // THUMBNAIL_SIZE))
    thumbnail = _encode_jpeg(np.ascontiguousarray(stretched[:, ::step, ::step]))
    return Quicklooks(browse, thumbnail)


def _out_shape(width: int, height: int, longest: int) -> tuple[int, int]:
    scale = min(1.0, longest / max(width, height))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _display_indexes(count: int) -> list[int]:
    """Red, green, blue for the usual blue-green-red-NIR band order of CRESDA multispectral
    products; the first band alone for panchromatic, SAR and single-variable images."""
    return [3, 2, 1] if count >= 3 else [1]


def _read_display_bands(src: rasterio.io.DatasetReader, longest: int) -> tuple[np.ndarray, np.ndarray]:
    height, width = _out_shape(src.width, src.height, longest)
    indexes = _display_indexes(src.count)
    data = src.read(indexes, out_shape=(len(indexes), height, width), resampling=Resampling.nearest, masked=True)
    values = np.abs(data.data) if np.iscomplexobj(data.data) else data.data
    mask = np.ma.getmaskarray(data).any(axis=0)
    values = values.astype(np.float32)
    valid = ~mask & np.isfinite(values).all(axis=0)
    if src.nodata is None:
        valid &= (values != 0).any(axis=0)  # CRESDA images fill the area outside the scene with 0
    return values, valid


def _stretch(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.zeros(values.shape, dtype=np.uint8)
    if not valid.any():
        return out
    for band in range(values.shape[0]):
        samples = values[band][valid]
        low, high = np.percentile(samples, [2, 98])
        if high <= low:
            high = low + 1
        scaled = (values[band] - low) / (high - low) * 254 + 1
        out[band] = np.where(valid, np.clip(scaled, 1, 255), 0).astype(np.uint8)
    return out


def _encode_jpeg(pixels: np.ndarray) -> bytes:
    count, height, width = pixels.shape
    with _gdal(), MemoryFile() as mem:
        with mem.open(driver="JPEG", width=width, height=height, count=count, dtype="uint8", quality=85) as dst:
            dst.write(pixels)
        return bytes(mem.read())
