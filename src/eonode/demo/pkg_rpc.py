"""Rational polynomial camera models for synthetic images, in the RPB and the GDAL ``_rpc.txt`` text styles.

The model is fitted to the *actual* raster that sits next to it (a few hundred pixels, not the
nominal 7300 × 6908 of the XML): it maps the footprint's rotated corners to the image corners, so
GDAL's RPC transformer on the synthetic file lands where the metadata says. A real fit has small
non-linear and terrain terms; tiny ones are added so the files look like real ones (§5: 20
coefficients per group, first denominator coefficient 1, offsets a little above half the image).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from eonode.demo.pkg_geo import Footprint

# RPC00B term order: 1 L P H LP LH PH L² P² H² PLH L³ LP² LH² L²P P³ PH² L²H P²H H³
_ORDER = (0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3)


@dataclass(frozen=True, slots=True)
class Rpc:
    line_off: float
    samp_off: float
    lat_off: float
    lon_off: float
    height_off: float
    line_scale: float
    samp_scale: float
    lat_scale: float
    lon_scale: float
    height_scale: float
    line_num: tuple[float, ...]
    line_den: tuple[float, ...]
    samp_num: tuple[float, ...]
    samp_den: tuple[float, ...]


def _affine(fp: Footprint, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares (1, lon, lat) → sample and → line coefficients. RPC pixel (0, 0) is the centre of
    the first pixel, so the outer corners sit at -0.5 and size - 0.5."""
    a = np.array([[1.0, lon, lat] for lon, lat in fp.corners])
    w, h = width - 0.5, height - 0.5
    samp = np.array([-0.5, w, w, -0.5])
    line = np.array([-0.5, -0.5, h, h])
    cs = np.linalg.lstsq(a, samp, rcond=None)[0]
    cl = np.linalg.lstsq(a, line, rcond=None)[0]
    return cs, cl


def _ground(cs: np.ndarray, cl: np.ndarray, samp: float, line: float) -> tuple[float, float]:
    m = np.array([[cs[1], cs[2]], [cl[1], cl[2]]])
    lon, lat = np.linalg.solve(m, np.array([samp - cs[0], line - cl[0]]))
    return float(lon), float(lat)


def _noise(rng: random.Random, first: tuple[float, ...], scale: float) -> tuple[float, ...]:
    """Pad the leading linear terms with small higher-order terms (magnitudes fall with the order)."""
    out = list(first)
    for order in _ORDER[len(first) :]:
        out.append(rng.choice((-1.0, 1.0)) * scale * 10.0 ** (-2.0 * order - 0.5 + rng.uniform(-1.0, 0.5)))
    return tuple(out)


def fit(fp: Footprint, width: int, height: int, rng: random.Random, *, dem: bool = False) -> Rpc:
    cs, cl = _affine(fp, width, height)
    line_off = (height - 1) / 2.0 + height * rng.uniform(0.0, 0.08)
    samp_off = (width - 1) / 2.0 + width * rng.uniform(0.0, 0.03)
    lon_off, lat_off = _ground(cs, cl, samp_off, line_off)
    lons = [c[0] for c in fp.corners]
    lats = [c[1] for c in fp.corners]
    lat_scale = max(abs(v - lat_off) for v in lats) * rng.uniform(1.05, 1.15)
    lon_scale = max(abs(v - lon_off) for v in lons) * rng.uniform(1.05, 1.15)
    line_scale = math.ceil(line_off * 1.15 / 8.0) * 8.0
    samp_scale = math.ceil(samp_off * 1.15 / 8.0) * 8.0
    height_off, height_scale = (rng.uniform(-60.0, 1800.0), rng.uniform(1500.0, 4000.0)) if dem else (0.0, 5000.0)

    def linear(c: np.ndarray, off: float, scale: float) -> tuple[float, float, float, float]:
        k0 = (c[0] + c[1] * lon_off + c[2] * lat_off - off) / scale
        return (k0, c[1] * lon_scale / scale, c[2] * lat_scale / scale, rng.uniform(-4e-3, 4e-3))

    return Rpc(
        line_off=line_off,
        samp_off=samp_off,
        lat_off=lat_off,
        lon_off=lon_off,
        height_off=height_off,
        line_scale=line_scale,
        samp_scale=samp_scale,
        lat_scale=lat_scale,
        lon_scale=lon_scale,
        height_scale=height_scale,
        line_num=_noise(rng, linear(cl, line_off, line_scale), 1.0),
        line_den=_noise(rng, (1.0,), 1.0),
        samp_num=_noise(rng, linear(cs, samp_off, samp_scale), 1.0),
        samp_den=_noise(rng, (1.0,), 1.0),
    )


def rpb_text(rpc: Rpc) -> bytes:
    """The RPC00B block as CRESDA ships it (``.rpb``; GF-3 ``.rpc`` uses the same syntax)."""
    lines = [  # CRESDA writes literal "XXX" in these three fields (formats doc, section 5): kept as delivered
        'satId = "XXX";',
        'bandId = "XXX";',
        'SpecId = "XXX";',
        "BEGIN_GROUP = IMAGE",
        "\terrBias =   1.0;",
        "\terrRand =    0.0;",
        f"\tlineOffset = {rpc.line_off:.15f};",
        f"\tsampOffset = {rpc.samp_off:.15f};",
        f"\tlatOffset =   {rpc.lat_off:.15f};",
        f"\tlongOffset =  {rpc.lon_off:.15f};",
        f"\theightOffset = {rpc.height_off:.15f};",
        f"\tlineScale = {rpc.line_scale:.15f};",
        f"\tsampScale = {rpc.samp_scale:.15f};",
        f"\tlatScale =    {rpc.lat_scale:.15f};",
        f"\tlongScale =    {rpc.lon_scale:.15f};",
        f"\theightScale = {rpc.height_scale:.15f};",
    ]
    for name, coefs in (
        ("lineNumCoef", rpc.line_num),
        ("lineDenCoef", rpc.line_den),
        ("sampNumCoef", rpc.samp_num),
        ("sampDenCoef", rpc.samp_den),
    ):
        lines.append(f"\t{name} = (")
        lines.extend(f"\t\t\t{c:+.15E}{');' if i == len(coefs) - 1 else ','}" for i, c in enumerate(coefs))
    lines += ["END_GROUP = IMAGE", "END;"]
    return ("\n".join(lines) + "\n").encode("ascii")


def rpc_txt(rpc: Rpc) -> bytes:
    """The GDAL/GeoEye ``_rpc.txt`` style with units (the SASMAC layout, §5)."""
    lines = [
        f"LINE_OFF: {rpc.line_off:.12f} pixels",
        f"SAMP_OFF: {rpc.samp_off:.12f} pixels",
        f"LAT_OFF: {rpc.lat_off:.12f} degrees",
        f"LONG_OFF: {rpc.lon_off:.12f} degrees",
        f"HEIGHT_OFF: {rpc.height_off:.12f} meters",
        f"LINE_SCALE: {rpc.line_scale:.12f} pixels",
        f"SAMP_SCALE: {rpc.samp_scale:.12f} pixels",
        f"LAT_SCALE: {rpc.lat_scale:.12f} degrees",
        f"LONG_SCALE: {rpc.lon_scale:.12f} degrees",
        f"HEIGHT_SCALE: {rpc.height_scale:.12f} meters",
    ]
    for name, coefs in (
        ("LINE_NUM_COEFF", rpc.line_num),
        ("LINE_DEN_COEFF", rpc.line_den),
        ("SAMP_NUM_COEFF", rpc.samp_num),
        ("SAMP_DEN_COEFF", rpc.samp_den),
    ):
        lines.extend(f"{name}_{i}: {c:.12f}" for i, c in enumerate(coefs, 1))
    return ("\n".join(lines) + "\n").encode("ascii")


def ground_point(rpc: Rpc, fp: Footprint, width: int, height: int, samp: float, line: float) -> tuple[float, float]:
    """(lon, lat) of an image point through the affine part of the model (for GCP lists)."""
    cs, cl = _affine(fp, width, height)
    return _ground(cs, cl, samp, line)
