"""ZiYuan families: ZY-3 in the CRESDA and the SASMAC layouts, ZY-1 02D (ZY1E) VNIC.

Variants by index: ``zy3-cresda`` cycles ZY3_NAD (ZY-3 01) / ZY302_TMS / ZY303_TMS (index % 3) and
splits a TMS bundle into a one-camera package (``…-MUX``) when (index // 3) % 3 == 2; ``zy3-sasmac``
cycles the satellite (index % 3) and the camera ((index // 3) % 4).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_cresda import Meta
from eonode.demo.pkg_geo import bj
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_optical import BGRN, Part, dims, file_set, meta, plan, quicklooks
from eonode.demo.pkg_rpc import fit, rpc_txt
from eonode.demo.pkg_shape import footprint_shapefile
from eonode.demo.pkg_xml import DECL_PLAIN, PAIR, El, g6, group, leaf, render

# camera: (band kinds, Bands, GSD m, nominal px, pitch°) — ZY-3 01 FWD/BWD are 3.5 m, 02/03 2.7 m (§6)
ZY3_CAMERAS = {
    "NAD": (("pan",), "1", 2.1, 24300, 0.0),
    "FWD": (("pan",), "1", 3.5, 14900, 22.0),
    "BWD": (("pan",), "1", 3.5, 14900, -22.0),
    "MUX": (BGRN, "1,2,3,4", 5.8, 8800, 0.0),
}
ZY3_SATS = (("ZY3", date(2012, 1, 9)), ("ZY302", date(2016, 5, 30)), ("ZY303", date(2020, 7, 25)))
VNIC_MUX = ("blue", "green", "red", "nir", "coastal", "yellow", "rededge1", "nir2")


def _camera(sat: str, code: str) -> tuple[tuple[str, ...], str, float, int, float]:
    kinds, bands, gsd, px, pitch = ZY3_CAMERAS[code]
    if sat != "ZY3" and code in ("FWD", "BWD"):
        gsd, px = 2.7, 19370
    if sat != "ZY3" and code == "MUX":
        gsd, px = 6.0, 8500
    return kinds, bands, gsd, px, pitch


def zy3_cresda(ctx: Ctx) -> Built:
    """``ZY3_NAD_…`` holding ``ZY3_TLC_…-NAD.*``; ``ZY302_TMS_…``/``ZY303_TMS_…`` with NAD/FWD/BWD/MUX sets."""
    sat, launch = ZY3_SATS[ctx.index % 3]
    rng = ctx.rng("meta")
    shot = plan(
        ctx,
        launch=launch,
        first=launch + timedelta(days=60),
        width_km=51.0,
        height_km=51.0,
        id_base=(1_500_000, 300_000, 40_000)[ctx.index % 3],
        orbits_per_day=15.2,
    )
    if sat == "ZY3":
        name = shot.name(sat, "NAD", "L1A")
        stem_base, cameras, sensor = "ZY3_TLC_" + name[len("ZY3_NAD_") :], ["NAD"], "NAD"
    else:
        name = shot.name(sat, "TMS", "L1A")
        stem_base, cameras, sensor = name, ["NAD", "FWD", "BWD", "MUX"], "TMS"
        if (ctx.index // 3) % 3 == 2:
            only = cameras[(ctx.index // 9) % 4]
            cameras, name = [only], f"{name}-{only}"
    built = Built(name, shot.produced)
    for code in cameras:
        kinds, bands, gsd, px, pitch = _camera(sat, code)
        part = Part(
            f"{stem_base}-{code}", kinds, bands, gsd, px, px, side=96 if len(kinds) > 1 else 160, pan=len(kinds) == 1
        )
        file_set(ctx, built, part, meta(shot, part, sat, sensor, rng, pitch_view=pitch), "classic")
    return built


def zy1e_vnic(ctx: Ctx) -> Built:
    """``ZY1E_VNIC_…_L1B…`` with ``-PAN`` (2.5 m) and ``-MUX`` (10 m, 8 bands); XML with ``Level``."""
    rng = ctx.rng("meta")
    w = 11500 + rng.randrange(-30, 31)
    shot = plan(
        ctx,
        launch=date(2019, 9, 12),
        first=date(2019, 11, 1),
        width_km=w * 0.01,
        height_km=w * 0.0095,
        id_base=80_000,
        orbits_per_day=14.6,
    )
    name = shot.name("ZY1E", "VNIC", "L1B")
    built = Built(name, shot.produced)
    for part in (
        Part(f"{name}-PAN", ("pan",), "1", 2.5, w * 4, int(w * 0.95) * 4, side=192, pan=True),
        Part(f"{name}-MUX", VNIC_MUX, "2,3,4,5,6,7,8,9", 10.0, w, int(w * 0.95), side=96),
    ):
        file_set(ctx, built, part, meta(shot, part, "ZY1E", "VNIC", rng, level="LEVEL1B"), "zy1e")
    return built


def _point(tag: str, lon: float, lat: float) -> El:
    return group(tag, leaf("Longtitude", f"{lon:.6f}"), leaf("Latitude", f"{lat:.6f}"), leaf("Altitude", "0.000000"))


def _component(tag: str, path: str, filename: str) -> El:
    location = group("location", leaf("host", None, PAIR), leaf("path", path, PAIR), leaf("filename", filename))
    return group(tag, location)


def zy3_sasmac(ctx: Ctx) -> Built:
    """SASMAC layout ``zy30Na_<cam>_<orbit6>_<strip6>_<YYYYMMDDhhmmss BJT>_01_sec_<scene4>_<yymmdd><4>``:
    ``IMAGEDATA/<n>.tif``, ``<n>_rpc.txt``, ``PREVIEW/<n>_pre.jpg``, ``PREVIEW/<n>_ico.jpg``,
    ``<n>.xml`` (``sensor_corrected_metadata``) and the range shapefile ``<n>_Geo.shp/.shx/.dbf``."""
    sat, launch = ZY3_SATS[ctx.index % 3]
    code = ("NAD", "FWD", "BWD", "MUX")[(ctx.index // 3) % 4]
    kinds, bands, gsd, px, pitch = _camera(sat, code)
    rng = ctx.rng("meta")
    shot = plan(
        ctx,
        launch=launch,
        first=launch + timedelta(days=60),
        width_km=px * gsd / 1000.0,
        height_km=px * gsd / 1000.0,
        id_base=1_000_000,
        orbits_per_day=15.2,
        china_only=True,
    )
    token = {"ZY3": "zy301a", "ZY302": "zy302a", "ZY303": "zy303a"}[sat]
    produced = shot.produced
    name = (
        f"{token}_{code.lower()}_{shot.orbit:06d}_{shot.strip % 1_000_000:06d}_"
        f"{_compact(shot.centre)[:14]}_01_sec_"
        f"{ctx.index % 10000:04d}_{produced:%y%m%d}{rng.randrange(10000):04d}"
    )
    built = Built(name, produced)
    part = Part(name, kinds, bands, gsd, px, px, side=96 if len(kinds) > 1 else 160, pan=len(kinds) == 1)
    width, height = dims(part)
    fp = shot.footprint
    arr = raster.scene(ctx.nprng("sasmac"), list(kinds), height, width, shot.cloud)
    built.add(f"IMAGEDATA/{name}.tif", raster.geotiff(arr, fp.bbox))
    built.add(f"{name}_rpc.txt", rpc_txt(fit(fp, width, height, ctx.rng("rpc"))))
    if ctx.quicklooks:
        pre, ico = quicklooks(arr, fp, kinds)
        built.add(f"PREVIEW/{name}_pre.jpg", pre, quicklook=True)
        built.add(f"PREVIEW/{name}_ico.jpg", ico, quicklook=True)
    for ext, data in footprint_shapefile(fp, name, produced).items():
        if ext != "prj":
            built.add(f"{name}_Geo.{ext}", data)
    m = meta(shot, part, sat, code, rng, pitch_view=pitch)
    built.add(f"{name}.xml", _sasmac_xml(name, m))
    return built


def _compact(moment: datetime) -> str:
    """``YYYYMMDDhhmmss.ffff`` in Beijing time (the compact TimeStamp style GDAL's ZY-3 reader parses)."""
    return bj(moment).replace("-", "").replace(" ", "").replace(":", "") + f".{moment.microsecond // 100:04d}"


def _sasmac_xml(name: str, m: Meta) -> bytes:
    fp = m.footprint
    tl, tr, br, bl = fp.corners
    info = group(
        "productInfo",
        leaf("ProductLevel", "SC"),
        leaf("SatelliteID", m.satellite),
        leaf("ReceiveStationID", m.station),
        leaf("SensorID", m.sensor),
        leaf("OrbitID", str(m.orbit)),
        leaf("SceneID", str(m.scene_id)),
        leaf("ScenePath", str(m.path)),
        leaf("SceneRow", str(m.row)),
        leaf("ProductID", str(m.product_id)),
        leaf("OrbitType", "GPS"),
        leaf("AttitudeType", "STAR"),
        leaf("SunAltitude", f"{90.0 - m.sun_zenith:.6f}"),
        leaf("SunAzimuth", f"{m.sun_azimuth:.6f}"),
        leaf("SatAzimuth", f"{m.sat_azimuth:.6f}"),
        leaf("SatAltitude", f"{m.sat_zenith:.6f}"),
        leaf("RollViewingAngle", "0.000000"),
        leaf("PitchViewingAngle", f"{m.pitch_view:.6f}"),
        leaf("RollSatelliteAngle", f"{m.roll_sat:.6f}"),
        leaf("PitchSatelliteAngle", f"{m.pitch_sat:.6f}"),
        leaf("AcquisitionTime", bj(m.centre)),
        group(
            "TimeStamp",
            leaf("StartTime", _compact(m.start)),
            leaf("EndTime", _compact(m.end)),
            leaf("CenterTime", _compact(m.centre)),
        ),
        group("ImageGSD", leaf("Line", g6(m.gsd)), leaf("Sample", g6(m.gsd))),
        leaf("WidthInMeters", f"{m.width * m.gsd:.1f}"),
        leaf("HeightInMeters", f"{m.height * m.gsd:.1f}"),
        leaf("RegionName", "CHN"),
        leaf("CloudPercent", str(m.cloud)),
        leaf("ProductQuality", "1"),
        leaf("Bands", m.bands),
        group(
            "ProductGeographicRange",
            _point("CenterPoint", *fp.centre),
            _point("LeftTopPoint", *tl),
            _point("RightTopPoint", *tr),
            _point("RightBottomPoint", *br),
            _point("LeftBottomPoint", *bl),
        ),
    )
    process = group(
        "processInfo",
        leaf("ProductTime", bj(m.produced)),
        leaf("ProduceID", str(m.product_id)),
        leaf("DataSource", f"{m.satellite}_{m.sensor}_{m.orbit:06d}"),
        leaf("ProduceType", "STANDARD"),
        leaf("RadiometricMethod", "LAB"),
        leaf("MtfCompensation", "YES"),
        leaf("Denoise", "YES"),
        leaf("GeometryMethod", "RPC"),
        leaf("HeightMode", "DEM"),
        leaf("ResamplingKernel", "CC"),
    )
    root = group(
        "sensor_corrected_metadata",
        group("generalHeader", leaf("itemName", name), leaf("mission", "SURVEY")),
        group(
            "productComponents",
            _component("metadata", "", f"{name}.xml"),
            _component("imageData", "IMAGEDATA", f"{name}.tif"),
            _component("rpcFile", "", f"{name}_rpc.txt"),
            _component("browseImage", "PREVIEW", f"{name}_pre.jpg"),
            _component("thumbImage", "PREVIEW", f"{name}_ico.jpg"),
            _component("geoRangeFile", "", f"{name}_Geo.shp"),
        ),
        info,
        process,
    )
    return render(root, declaration=DECL_PLAIN)
