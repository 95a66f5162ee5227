"""Deterministic synthetic product packages, shaped like the real deliveries of each product family.

Used by ``eonode demo-data``, the demo node, the ingest tests and the benchmarks; nothing is ever
downloaded. ``generate_package(family, index, seed=...)`` always writes the same bytes for the same
arguments; ``generate`` draws a realistic archive mix; ``make_large_package`` streams a multi-gigabyte
GF-2 package with bounded memory. The layouts follow ``docs/product-formats.md`` (see the family
modules ``pkg_gf``, ``pkg_zy``, ``pkg_sar``, ``pkg_cbers``, ``pkg_hy`` and ``pkg_thematic``).
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import rasterio

from eonode.demo import pkg_archive, pkg_cbers, pkg_gf, pkg_hy, pkg_sar, pkg_thematic, pkg_zy
from eonode.demo.pkg_large import make_large_package
from eonode.demo.pkg_model import Built, Ctx

__all__ = ["FAMILIES", "FORMATS", "WEIGHTS", "generate", "generate_package", "make_large_package"]

DEFAULT_SEED = 20260101
FORMATS = pkg_archive.FORMATS

_BUILDERS: dict[str, Callable[[Ctx], Built]] = {
    "gf1-pms": pkg_gf.gf1_pms,
    "gf1-wfv": pkg_gf.gf1_wfv,
    "gf1bcd-pms": pkg_gf.gf1bcd_pms,
    "gf2-pms": pkg_gf.gf2_pms,
    "gf4-pmi": pkg_gf.gf4_pmi,
    "gf6-pms": pkg_gf.gf6_pms,
    "gf6-wfv": pkg_gf.gf6_wfv,
    "gf7-dlc": pkg_gf.gf7_dlc,
    "zy3-cresda": pkg_zy.zy3_cresda,
    "zy3-sasmac": pkg_zy.zy3_sasmac,
    "zy1e-vnic": pkg_zy.zy1e_vnic,
    "cbers4-cresda": pkg_cbers.cbers4_cresda,
    "cbers-inpe": pkg_cbers.cbers_inpe,
    "hy1-cocts": pkg_hy.hy1_cocts,
    "hy1-czi": pkg_hy.hy1_czi,
    "gf3-sar": pkg_sar.gf3_sar,
    "thematic": pkg_thematic.thematic,
}
FAMILIES: tuple[str, ...] = tuple(_BUILDERS)

# Share of each family in a generated archive: a Chinese archive holds mostly GF-1/GF-2/GF-6 scenes.
WEIGHTS: dict[str, float] = {
    "gf1-pms": 0.12,
    "gf1-wfv": 0.13,
    "gf1bcd-pms": 0.08,
    "gf2-pms": 0.14,
    "gf4-pmi": 0.03,
    "gf6-pms": 0.07,
    "gf6-wfv": 0.08,
    "gf7-dlc": 0.04,
    "zy3-cresda": 0.05,
    "zy3-sasmac": 0.03,
    "zy1e-vnic": 0.04,
    "cbers4-cresda": 0.03,
    "cbers-inpe": 0.02,
    "hy1-cocts": 0.03,
    "hy1-czi": 0.02,
    "gf3-sar": 0.05,
    "thematic": 0.04,
}


def build(family: str, index: int, *, seed: int = DEFAULT_SEED, quicklooks: bool = True, scratch: Path) -> Built:
    """The product name and file contents, without writing a package (used by tests and by ``generate``)."""
    if family not in _BUILDERS:
        raise ValueError(f"unknown product family {family!r}; known: {', '.join(FAMILIES)}")
    if index < 0:
        raise ValueError("index must be >= 0")
    with rasterio.Env(GDAL_PAM_ENABLED="NO", GDAL_CACHEMAX=64):
        built = _BUILDERS[family](Ctx(family, index, seed, quicklooks, scratch))
    if not quicklooks:
        built.entries = [e for e in built.entries if not e.quicklook]
    return built


def generate_package(
    family: str,
    index: int,
    *,
    seed: int = DEFAULT_SEED,
    out_dir: Path,
    fmt: str = "tar.gz",
    quicklooks: bool = True,
) -> Path:
    """Write one package of ``family`` into ``out_dir`` and return its path.

    The result depends only on (family, index, seed, fmt, quicklooks): byte-identical on every run.
    The file is ``<product name>.tar.gz`` / ``.tar`` / ``.zip``, or a folder ``<product name>``
    for ``fmt="dir"``; an existing package of the same name is replaced. With ``quicklooks=False``
    the browse and thumbnail images are left out (the ingest pipeline then renders its own)."""
    pkg_archive.suffix(fmt)  # reject an unknown format before any work
    built = _build_in(Path(out_dir), family, index, seed, quicklooks)
    return pkg_archive.write(Path(out_dir), built.name, built.entries, fmt, built.produced)


def _build_in(out_dir: Path, family: str, index: int, seed: int, quicklooks: bool) -> Built:
    """Build (drivers that need real files get a private temporary folder) after creating ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eonode-pkg-") as scratch:
        return build(family, index, seed=seed, quicklooks=quicklooks, scratch=Path(scratch))


def generate(
    out_dir: Path,
    *,
    count: int,
    seed: int = DEFAULT_SEED,
    families: list[str] | tuple[str, ...] | None = None,
    fmt: str = "tar.gz",
    quicklooks: bool | None = None,
) -> list[Path]:
    """``count`` packages in a realistic mix of ``families`` (all of them by default).

    Families are drawn with :data:`WEIGHTS`; each family numbers its own packages 0, 1, 2 … so the
    variants every family cycles through (cameras, XML generations, split packages) all appear.
    ``quicklooks=None`` leaves browse and thumbnail out of about one package in four (drawn per
    package, deterministically), as deliveries from older ground systems do; True/False: all/none."""
    chosen = list(families) if families else list(FAMILIES)
    unknown = [f for f in chosen if f not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown product families: {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    pkg_archive.suffix(fmt)
    rng = random.Random(f"mix:{seed}")
    weights = [WEIGHTS[f] for f in chosen]
    next_index = dict.fromkeys(chosen, 0)
    paths: list[Path] = []
    taken: set[str] = set()  # an int32-clamped GF-2 name could repeat: never overwrite a package
    while len(paths) < count:
        family = rng.choices(chosen, weights)[0]
        index = next_index[family]
        next_index[family] += 1
        with_looks = quicklooks
        if with_looks is None:
            with_looks = random.Random(f"quicklooks:{seed}:{family}:{index}").random() >= 0.25
        built = _build_in(Path(out_dir), family, index, seed, with_looks)
        if built.name not in taken:
            taken.add(built.name)
            paths.append(pkg_archive.write(Path(out_dir), built.name, built.entries, fmt, built.produced))
    return paths
