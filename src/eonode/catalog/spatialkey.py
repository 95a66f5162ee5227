"""Spatial row keys: a Hilbert curve over footprint centres, so neighbours share disk pages.

``skey = hilbert(centre) << 31 | pk``: unique because ``pk`` is, and ordered along the curve.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ORDER = 16  # 65,536 x 65,536 cells: about 600 m by 300 m at the equator
PK_BITS = 31
MAX_PK = (1 << PK_BITS) - 1


def hilbert(x: npt.NDArray[np.uint64], y: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Hilbert index of integer cell coordinates in [0, 2**ORDER)."""
    x = x.astype(np.uint64)
    y = y.astype(np.uint64)
    d = np.zeros_like(x)
    n_max = np.uint64((1 << ORDER) - 1)
    s = 1 << (ORDER - 1)
    while s > 0:
        su = np.uint64(s)
        rx = ((x & su) > 0).astype(np.uint64)
        ry = ((y & su) > 0).astype(np.uint64)
        d += su * su * ((np.uint64(3) * rx) ^ ry)
        low = ry == 0
        flip = low & (rx == 1)
        x = np.where(flip, n_max - x, x)
        y = np.where(flip, n_max - y, y)
        x, y = np.where(low, y, x), np.where(low, x, y)
        s >>= 1
    return d


def spatial_keys(pks: list[int], bounds: npt.NDArray[np.float64]) -> list[int]:
    """Keys for items with primary keys ``pks`` and footprint bounds (n x 4: minx miny maxx maxy)."""
    if not pks:
        return []
    if max(pks) > MAX_PK:
        raise OverflowError("item primary keys beyond 2**31 need a wider spatial key")
    cx = (bounds[:, 0] + bounds[:, 2]) / 2.0
    cy = (bounds[:, 1] + bounds[:, 3]) / 2.0
    scale = float((1 << ORDER) - 1)
    qx = np.clip((cx + 180.0) / 360.0 * scale, 0, scale).astype(np.uint64)
    qy = np.clip((cy + 90.0) / 180.0 * scale, 0, scale).astype(np.uint64)
    h = hilbert(qx, qy).astype(np.int64)
    return [int(v) for v in (h << PK_BITS) | np.asarray(pks, dtype=np.int64)]
