"""GaoFen optical families: GF-1 PMS/WFV, GF-1 B/C/D PMS, GF-2 PMS (classic and 2023), GF-6 PMS/WFV, GF-7 DLC.

Variants are chosen by the package index so that tests and benchmarks can ask for one:
GF-1 PMS camera = index % 2 + 1; GF-1 WFV camera = index % 4 + 1; GF-1 B/C/D = index % 3;
GF-2 uses the 2023 layout when index % 3 == 2 (int32-clamped name id when (index // 3) is even);
GF-7 is split into a one-part package (``…-FWDPAN``) when index % 4 == 3, level L1L for even indexes.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_cresda import Meta, gcp_text, line_times_xml, order_xml, product_xml
from eonode.demo.pkg_geo import day_between, land_point, quad, sun_angles
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_optical import (
    BGRN,
    BROWSE_SIDE,
    THUMB_SIDE,
    Part,
    Shot,
    across,
    dims,
    file_set,
    image_files,
    meta,
    plan,
    rgb_of,
)
from eonode.demo.pkg_rpc import fit, ground_point
from eonode.demo.pkg_shape import footprint_shapefile
from eonode.demo.synthetic import END

INT32_MAX = 2**31 - 1
GF6_WFV_KINDS = ("blue", "green", "red", "nir", "rededge1", "rededge2", "coastal", "yellow")


def _jitter(rng: random.Random, n: int, spread: int) -> int:
    return n + rng.randrange(-spread, spread + 1)


def gf1_pms(ctx: Ctx) -> Built:
    """``GF1_PMS{n}_…`` with ``-MSS{n}`` (8 m, 4 bands) and ``-PAN{n}`` (2 m) file sets."""
    cam = str(ctx.index % 2 + 1)
    rng = ctx.rng("meta")
    w, h = _jitter(rng, 4548, 12), _jitter(rng, 4503, 12)
    shot = plan(
        ctx,
        launch=date(2013, 4, 26),
        first=date(2013, 6, 1),
        width_km=w * 0.008,
        height_km=h * 0.008,
        id_base=3_000_000,
    )
    name = shot.name("GF1", f"PMS{cam}", "L1A")
    built = Built(name, shot.produced)
    mss = Part(f"{name}-MSS{cam}", BGRN, "1,2,3,4", 8.0, w, h, side=96)
    pan = Part(f"{name}-PAN{cam}", ("pan",), "5", 2.0, w * 4, h * 4, side=192, pan=True)
    for part in (mss, pan):
        file_set(ctx, built, part, meta(shot, part, "GF1", f"PMS{cam}", rng), "classic")
    return built


def gf1_wfv(ctx: Ctx) -> Built:
    """``GF1_WFV{1-4}_…``: one 4-band 16 m file set without suffix (``<base>.tiff``)."""
    cam = f"WFV{ctx.index % 4 + 1}"
    rng = ctx.rng("meta")
    w, h = 12000, _jitter(rng, 13700, 60)
    shot = plan(
        ctx,
        launch=date(2013, 4, 26),
        first=date(2013, 6, 1),
        width_km=w * 0.016,
        height_km=h * 0.016,
        id_base=3_500_000,
        roll_sd=0.001,
        seconds=31.0,
    )
    name = shot.name("GF1", cam, "L1A")
    built = Built(name, shot.produced)
    part = Part(name, BGRN, "1,2,3,4", 16.0, w, h, side=128)
    m = meta(
        shot,
        part,
        "GF1",
        cam,
        rng,
        sat_path=shot.path + rng.choice((0, 2)),
        gain_mode="G0,G0,G0,G0",
        integration_level="S0,S0,S0,S0",
    )
    file_set(ctx, built, part, m, "classic")
    return built


def gf1bcd_pms(ctx: Ctx) -> Built:
    """``GF1B|GF1C|GF1D_PMS_…`` with ``-PAN`` and ``-MUX``; the 82-element XML generation."""
    sat = ("GF1B", "GF1C", "GF1D")[ctx.index % 3]
    base = {"GF1B": 1_227_000_000, "GF1C": 1_021_000_000, "GF1D": 1_256_000_000}[sat]
    rng = ctx.rng("meta")
    w, h = _jitter(rng, 8250, 20), _jitter(rng, 8100, 40)
    shot = plan(
        ctx, launch=date(2018, 3, 31), first=date(2018, 6, 1), width_km=w * 0.008, height_km=h * 0.008, id_base=base
    )
    name = shot.name(sat, "PMS", "L1A")
    built = Built(name, shot.produced)
    for part in (
        Part(f"{name}-PAN", ("pan",), "5", 2.0, w * 4, h * 4, side=192, pan=True),
        Part(f"{name}-MUX", BGRN, "1,2,3,4", 8.0, w, h, side=96),
    ):
        file_set(ctx, built, part, meta(shot, part, sat, "PMS", rng, earth_ellipsoid="WGS84"), "2023")
    return built


def _gf2_extras(ctx: Ctx, built: Built, name: str, shot: Shot, parts: list[Part], metas: list[Meta]) -> None:
    """2023 packages: ``order.xml``, ``*.rpb.gcp``, ``*.rpb.aux.xml`` per image, a footprint shapefile."""
    rng = ctx.rng("extras")
    built.add("order.xml", order_xml(metas[0], [p.stem[-4:] for p in parts], rng.randrange(100_000, 999_999)))
    for part, m in zip(parts, metas, strict=True):
        width, height = dims(part)
        rpc = fit(m.footprint, width, height, ctx.rng("rpc" + part.stem[-12:]))
        lat = m.footprint.centre[1]
        shift = math.tan(math.radians(m.roll_sat)) / (111_320.0 * math.cos(math.radians(lat)))
        points = []
        for hgt in (-2000.0, 1000.0, 4000.0):
            for line in [-0.08 * height + k * height * 1.16 / 5 for k in range(6)]:
                for samp in [-0.08 * width + k * width * 1.16 / 5 for k in range(6)]:
                    lon, la = ground_point(rpc, m.footprint, width, height, samp, line)
                    points.append((round(line), round(samp), lon + hgt * shift, la, hgt))
        built.add(part.stem + ".rpb.gcp", gcp_text(points, rng.uniform(40.0, 160.0)))
        built.add(part.stem + ".rpb.aux.xml", line_times_xml(m, height))
    for ext, data in footprint_shapefile(shot.footprint, name, shot.produced).items():
        if ext != "prj":
            built.add(f"{name}.{ext}", data)


def gf2_pms(ctx: Ctx) -> Built:
    """``GF2_PMS{1,2}_…`` with ``-MSS{n}``/``-PAN{n}``; every third package in the 2023 layout."""
    modern = ctx.index % 3 == 2
    rng = ctx.rng("meta")
    cam = rng.choice("12")
    w, h = _jitter(rng, 7300, 4), _jitter(rng, 6908, 30)
    first, last = (date(2023, 1, 1), END) if modern else (date(2014, 10, 1), date(2022, 12, 31))
    shot = plan(
        ctx,
        launch=date(2014, 8, 19),
        first=first,
        last=last,
        width_km=w * 0.00324,
        height_km=h * 0.00324,
        id_base=3_400_000,
        roll_sd=9.0,
        orbits_per_day=15.2,
    )
    if modern:
        scene_id = 12_000_000 + ctx.index * 997 + rng.randrange(997)
        shot = replace(shot, scene_id=scene_id, product_id=scene_id * 1000 + 1, cloud=101)
        clamp = (ctx.index // 3) % 2 == 0
        name = shot.name("GF2", f"PMS{cam}", "L1A", str(INT32_MAX) if clamp else str(shot.product_id))
    else:
        name = shot.name("GF2", f"PMS{cam}", "L1A")
    built = Built(name, shot.produced)
    parts = [
        Part(f"{name}-MSS{cam}", BGRN, "1,2,3,4", 3.24, w, h, side=96),
        Part(f"{name}-PAN{cam}", ("pan",), "5", 0.81, w * 4, h * 4, side=192, pan=True),
    ]
    metas = [meta(shot, p, "GF2", f"PMS{cam}", rng, earth_ellipsoid="WGS84") for p in parts]
    xmls = [file_set(ctx, built, p, m, "2023" if modern else "classic") for p, m in zip(parts, metas, strict=True)]
    if modern:
        built.add(f"{name}.xml", xmls[0])  # the scene-level XML: byte-identical to the MSS one
        _gf2_extras(ctx, built, name, shot, parts, metas)
    return built


def _geo_view(lon: float, lat: float) -> tuple[float, float]:
    """(azimuth, elevation) of a geostationary satellite at 105.6°E seen from the scene."""
    dlon = math.radians(105.6 - lon)
    phi = math.radians(lat)
    cos_psi = math.cos(phi) * math.cos(dlon)
    psi = math.acos(cos_psi)
    elevation = math.degrees(math.atan2(cos_psi - 0.1513, math.sin(psi)))
    azimuth = math.degrees(math.atan2(math.sin(dlon), -math.sin(phi) * math.cos(dlon))) % 360.0
    return azimuth, elevation


def gf4_pmi(ctx: Ctx) -> Built:
    """``GF4_PMI_…`` holding ``GF4_PMS_…`` (5 bands, 50 m) and ``GF4_IRS_…`` (1 band, 400 m) file sets."""
    rng = ctx.rng("shot")
    lon, lat = land_point(rng, china_only=True) if rng.random() < 0.7 else (rng.uniform(75, 135), rng.uniform(-8, 48))
    day = day_between(rng, date(2016, 1, 1), END)
    # snapshot imaging by day, 08:30-15:30 Beijing time (so the UTC and Beijing dates agree)
    centre = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(1800, 27000))
    heading = rng.uniform(-1.5, 1.5)
    pms_fp = quad(lon, lat, 512.0, 512.0, heading)
    irs_fp = quad(lon, lat, 409.6, 409.6, heading)
    pid = 100_000 + ctx.index * 1000 + rng.randrange(1000)
    shot = Shot(
        footprint=pms_fp,
        start=centre,
        centre=centre,
        end=centre,
        produced=centre + timedelta(hours=rng.uniform(0.5, 3.0)),
        cloud=min(100, round(rng.betavariate(1.2, 1.4) * 100)),  # 500 km scenes are rarely clear
        orbit=int((day - date(2015, 12, 29)).days * 17.0),
        scene_id=int(pid * 1.16),
        product_id=pid,
        strip=0,
        path=0,
        row=0,
        roll=0.0,
        station="MYN",
    )
    name = shot.name("GF4", "PMI", "L1A")
    rest = name[len("GF4_PMI_") :]
    built = Built(name, shot.produced)
    sat_az, sat_el = _geo_view(*pms_fp.centre)
    gains = ",".join(f"{rng.uniform(4.0, 9.0):.5f}" for _ in range(5))
    biases = ",".join(f"{rng.uniform(0.2, 4.5):.5f}" for _ in range(5))
    pms = Part(f"GF4_PMS_{rest}", ("pan", "blue", "green", "red", "nir"), "1,2,3,4,5", 50.0, 10240, 10240, side=128)
    irs = Part(f"GF4_IRS_{rest}", ("mwir",), "1", 400.0, 1024, 1024, side=64)
    for part, fp, when, gain, bias, itime in (
        (pms, pms_fp, centre, gains, biases, "6,30,20,30,30"),
        (irs, irs_fp, centre + timedelta(seconds=44), f"{rng.uniform(200, 320):g}", f"{rng.uniform(700, 900):g}", "15"),
    ):
        zenith, azimuth = sun_angles(when, fp.centre[1], fp.centre[0])
        m = meta(
            replace(shot, footprint=fp, start=when, centre=when, end=when),
            part,
            "GF4",
            "PMI",
            rng,
            path=0,
            row=0,
            sat_path=0,
            sat_row=0,
            scene_shift=0,
            pixel_bits=16,
            valid_bits=10,
            sun_zenith=90.0 - zenith,
            sun_azimuth=azimuth,
            sat_azimuth=sat_az + rng.gauss(0, 0.3),
            sat_zenith=sat_el + rng.gauss(0, 0.3),
            roll_sat=rng.uniform(-3, 3),
            pitch_sat=rng.uniform(-3, 3),
            yaw_sat=rng.gauss(0, 0.0004),
            gain_mode=None,
            integration_level=None,
            gain=gain,
            bias=bias,
            integration_time=itime,
            geostationary=True,
            produced=shot.produced + timedelta(seconds=44),
        )
        file_set(ctx, built, part, m, "gf4")
    return built


def gf6_pms(ctx: Ctx) -> Built:
    """``GF6_PMS_…``: ``-PAN``/``-MUX`` sets, browse only for MUX, a ``<base>.xml`` and a footprint shapefile."""
    rng = ctx.rng("meta")
    w, h = _jitter(rng, 11250, 30), _jitter(rng, 10800, 60)
    shot = plan(
        ctx,
        launch=date(2018, 6, 2),
        first=date(2018, 7, 1),
        width_km=w * 0.008,
        height_km=h * 0.008,
        id_base=1_119_000_000,
    )
    name = shot.name("GF6", "PMS", "L1A")
    built = Built(name, shot.produced)
    pan = Part(f"{name}-PAN", ("pan",), "5", 2.0, w * 4, h * 4, side=192, pan=True, quicklooks=False)
    mux = Part(f"{name}-MUX", BGRN, "1,2,3,4", 8.0, w, h, side=96)
    file_set(ctx, built, pan, meta(shot, pan, "GF6", "PMS", rng, earth_ellipsoid="WGS84"), "2023")
    mux_xml = file_set(ctx, built, mux, meta(shot, mux, "GF6", "PMS", rng, earth_ellipsoid="WGS84"), "2023")
    built.add(f"{name}.xml", mux_xml)
    for ext, data in footprint_shapefile(shot.footprint, name, shot.produced).items():
        built.add(f"{name}.{ext}", data)
    return built


def gf6_wfv(ctx: Ctx) -> Built:
    """``GF6_WFV_…``: 8-band tiles ``-1``..``-3`` with one RPB each, one ``<base>.xml``, ``<base>.jpg``,
    ``<base>-1_thumb.jpg`` and a footprint shapefile."""
    rng = ctx.rng("meta")
    w, h = 50_000, _jitter(rng, 25_000, 200)
    shot = plan(
        ctx,
        launch=date(2018, 6, 2),
        first=date(2018, 7, 1),
        width_km=w * 0.016,
        height_km=h * 0.016,
        id_base=1_120_000_000,
        roll_sd=0.001,
    )
    name = shot.name("GF6", "WFV", "L1A")
    built = Built(name, shot.produced)
    whole = Part(name, GF6_WFV_KINDS, "1,2,3,4,5,6,7,8", 16.0, w, h)
    m = meta(shot, whole, "GF6", "WFV", rng, earth_ellipsoid="WGS84")
    arrays = []
    for k in range(3):
        tile = Part(f"{name}-{k + 1}", GF6_WFV_KINDS, whole.bands, 16.0, w // 3, h, side=128, quicklooks=False)
        fp = across(shot.footprint, k, 3)
        image_files(ctx, built, tile, fp, shot.cloud)
        tw, th = dims(tile)
        arrays.append(raster.scene(ctx.nprng(tile.stem[-12:]), list(GF6_WFV_KINDS), th, tw, shot.cloud))
    built.add(f"{name}.xml", product_xml(m, "2023"))
    if ctx.quicklooks:
        rgb = rgb_of(GF6_WFV_KINDS)
        mosaic = np.concatenate(arrays, axis=2)
        bbox = shot.footprint.bbox
        built.add(f"{name}.jpg", raster.jpeg(raster.quicklook(mosaic, BROWSE_SIDE, rgb), bbox), quicklook=True)
        thumb = raster.jpeg(raster.quicklook(arrays[0], THUMB_SIDE, rgb), across(shot.footprint, 0, 3).bbox)
        built.add(f"{name}-1_thumb.jpg", thumb, quicklook=True)
    for ext, data in footprint_shapefile(shot.footprint, name, shot.produced).items():
        if ext != "prj":
            built.add(f"{name}.{ext}", data)
    return built


GF7_PARTS = ("BWDPAN", "BWDMUX", "FWDPAN")


def gf7_dlc(ctx: Ctx) -> Built:
    """``GF7_DLC_…_L1L|L1A…`` with ``-BWDPAN.tiff``, ``-BWDMUX.tif``, ``-FWDPAN.tiff`` file sets (or one of them)."""
    level = "L1L" if ctx.index % 2 == 0 else "L1A"
    rng = ctx.rng("meta")
    shot = plan(
        ctx,
        launch=date(2019, 11, 3),
        first=date(2019, 12, 1),
        width_km=20.0,
        height_km=20.0,
        id_base=20_000,
        roll_sd=3.0,
        orbits_per_day=15.1,
    )
    base = shot.name("GF7", "DLC", level)
    only = GF7_PARTS[(ctx.index // 4) % 3] if ctx.index % 4 == 3 else None
    built = Built(f"{base}-{only}" if only else base, shot.produced)
    specs = {
        "BWDPAN": (("pan",), "5", 0.65, 30770, -5.0, 6.0, ".tiff"),
        "BWDMUX": (BGRN, "1,2,3,4", 2.6, 7690, -5.0, 6.0, ".tif"),
        "FWDPAN": (("pan",), "5", 0.8, 25000, 26.0, -35.0, ".tiff"),
    }
    for code in GF7_PARTS:
        if only and code != only:
            continue
        kinds, bands, gsd, px, pitch, dt, ext = specs[code]
        part = Part(
            f"{base}-{code}",
            kinds,
            bands,
            gsd,
            px,
            px,
            side=96 if len(kinds) > 1 else 160,
            ext=ext,
            pan=len(kinds) == 1,
        )
        t = timedelta(seconds=dt)
        view = replace(shot, start=shot.start + t, centre=shot.centre + t, end=shot.end + t)
        m = meta(view, part, "GF7", "DLC", rng, level=f"LEVEL{level[1:]}", pitch_view=pitch)
        file_set(ctx, built, part, m, "classic")
    return built
