"""CBERS-04/04A packages in the CRESDA hyphenated form and in the Brazilian (INPE) distribution.

CRESDA (``cbers4-cresda``): ``CB04-<cam>-<path>-<row>-B2-<YYYYMMDD>-L2<id10>`` holding ``<base>.tiff``,
``<base>.xml`` (``root/data``, §4.5), ``<base>.jpg`` and ``<base>-THUMB.jpg``; camera = (MUX, P10,
P5M)[index % 3]. INPE (``cbers-inpe``): one ``<name>_BAND<n>.tif`` + ``.xml`` per band (namespaced
``prdf`` like the real fixtures), CBERS-4 MUX L2 for even indexes and CBERS-4A WPM (L4, or L2 when
index % 4 == 3) for odd ones; rasters are map-projected (UTM) as real L2/L4 products are.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
from rasterio.warp import transform as reproject_points

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_geo import (
    Footprint,
    cloud_percent,
    day_between,
    ecef,
    enu_to_ecef,
    land_point,
    quad,
    solar_time,
    sun_angles,
    track_heading,
)
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_optical import BGRN, quicklooks
from eonode.demo.pkg_xml import DECL_INPE, DECL_PLAIN, El, f6, group, leaf, render
from eonode.demo.synthetic import END

# camera: (band kinds, band numbers, pixel spacing m, swath km)
CB04_CAMERAS = {
    "MUX": (BGRN, "5,6,7,8", 20.0, 120.0),
    "P10": (("green", "red", "nir"), "2,3,4", 10.0, 60.0),
    "P5M": (("pan",), "1", 5.0, 60.0),
}
NS = "http://www.gisplan.com.br/xmlsat"


def _shot(ctx: Ctx, launch: date, swath: float) -> tuple[Footprint, datetime, int, random.Random]:
    rng = ctx.rng("shot")
    lon, lat = land_point(rng)
    day = day_between(rng, launch, END)
    centre = solar_time(day, lon, 10.5, rng)
    return quad(lon, lat, swath, swath * 0.95, track_heading(lat, rng)), centre, cloud_percent(rng), rng


def cbers4_cresda(ctx: Ctx) -> Built:
    """``CB04-<cam>-<path>-<row>-B2-<date>-L2<id>``: 8-bit image, ``root/data`` XML (UTC times), browse + ``-THUMB``."""
    cam = ("MUX", "P10", "P5M")[ctx.index % 3]
    kinds, bands, spacing, swath = CB04_CAMERAS[cam]
    fp, centre, cloud, rng = _shot(ctx, date(2015, 1, 1), swath)
    path, row = rng.randrange(1, 374), rng.randrange(1, 150)
    pid = 3_200_000 + ctx.index * 1000 + rng.randrange(1000)
    name = f"CB04-{cam}-{path}-{row}-B2-{centre:%Y%m%d}-L2{pid:010d}"
    produced = centre + timedelta(hours=rng.uniform(4.0, 60.0))
    built = Built(name, produced)
    side = 128 if len(kinds) > 1 else 192
    arr = (raster.scene(ctx.nprng("cb04"), list(kinds), side, side, cloud) // 4).astype(np.uint8)
    built.add(f"{name}.tiff", raster.geotiff(arr, fp.bbox))
    if ctx.quicklooks:
        big, small = quicklooks(arr, fp, kinds)
        built.add(f"{name}.jpg", big, quicklook=True)
        built.add(f"{name}-THUMB.jpg", small, quicklook=True)
    duration = timedelta(seconds=swath * 0.95 / 6.6 / 2)
    zenith, azimuth = sun_angles(centre, fp.centre[1], fp.centre[0])
    (ullon, ullat), (urlon, urlat), (lrlon, lrlat), (lllon, lllat) = fp.corners
    values = [
        ("satelliteId", "CB04"),
        ("sensorId", cam),
        ("productId", f"{pid:010d}"),
        ("sceneId", str(int(pid * 1.3))),
        ("productLevel", "LEVEL2A"),
        ("sceneDate", centre.strftime("%Y-%m-%d %H:%M:%S.%f")),
        ("productDate", produced.strftime("%Y-%m-%d %H:%M:%S")),
        ("imagingStartTime", (centre - duration).strftime("%Y-%m-%d %H:%M:%S.%f")),
        ("imagingStopTime", (centre + duration).strftime("%Y-%m-%d %H:%M:%S.%f")),
        ("bands", bands),
        ("pixelSpacing", f"{spacing:.3f}"),
        ("scenePath", str(path)),
        ("sceneRow", str(row)),
        ("satOffNadir", f6(rng.gauss(0.0, 1.5) if cam != "MUX" else 0.0)),
        ("overallQuality", str(cloud)),
        ("sunElevation", f"{90.0 - zenith:.3f}"),
        ("sunAzimuth", f"{azimuth:.3f}"),
        ("earthModel", "WGS_84"),
        ("mapProjection", "UTM"),
        ("dataUpperLeftLat", f6(ullat)),
        ("dataUpperLeftLong", f6(ullon)),
        ("dataUpperRightLat", f6(urlat)),
        ("dataUpperRightLong", f6(urlon)),
        ("dataLowerLeftLat", f6(lllat)),
        ("dataLowerLeftLong", f6(lllon)),
        ("dataLowerRightLat", f6(lrlat)),
        ("dataLowerRightLong", f6(lrlon)),
    ]
    root = group("root", group("data", *(leaf(k, v) for k, v in values)))
    built.add(f"{name}.xml", render(root, declaration=DECL_PLAIN, indent="  "))
    return built


def _dms(tag: str, angle: float) -> El:
    """An angle as degree / minute / second / millisecond children (INPE style)."""
    a = abs(angle)
    d, rem = int(a), (a - int(a)) * 60
    m, rem = int(rem), (rem - int(rem)) * 60
    s, ms = int(rem), int((rem - int(rem)) * 1000)
    return group(
        tag, leaf("degree", str(d)), leaf("minute", str(m)), leaf("second", str(s)), leaf("millisecond", str(ms))
    )


def _iso(moment: datetime, digits: int = 3) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits]


def _utm(fp: Footprint) -> tuple[str, int]:
    lon, lat = fp.centre
    zone = int((lon + 180.0) // 6.0) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}", zone


def _corner(tag: str, line: float, col: float, lon: float, lat: float, e: float, n: float) -> El:
    return group(
        tag,
        leaf("line", f6(line)),
        leaf("column", f6(col)),
        leaf("latitude", f6(lat)),
        leaf("longitude", f6(lon)),
        leaf("northing", str(round(n))),
        leaf("easting", str(round(e))),
    )


def _prdf(
    *,
    cb4a: bool,
    band: int,
    bands: list[int],
    level: str,
    columns: int,
    lines: int,
    spacing: float,
    centre: datetime,
    path: int,
    row: int,
    fp: Footprint,
    grid: list[tuple[str, float, float, float, float, float, float]],
    data: list[tuple[str, float, float, float, float, float, float]],
    zone: int,
    heading: float,
    image_path: str,
    rng: random.Random,
) -> bytes:
    half = timedelta(seconds=spacing * lines / 6600.0 / 2.0)
    begin, end = centre - half, centre + half
    received = centre + (timedelta(0) if cb4a else timedelta(hours=rng.uniform(20.0, 24.0)))
    zenith, azimuth = sun_angles(centre, fp.centre[1], fp.centre[0])
    lon, lat = fp.centre
    attitudes = []
    ephemerides = []
    first = begin.replace(microsecond=0) - timedelta(seconds=2)
    roll, pitch, yaw = (rng.gauss(0, 0.004) for _ in range(3))
    for k in range(int((end - first).total_seconds()) + 3):
        t = first + timedelta(seconds=k)
        rows = [("time", t.strftime("%Y-%m-%dT%H:%M:%S")), ("roll", f"{roll:g}"), ("pitch", f"{pitch:g}")]
        rows += [("yaw", f"{yaw:g}"), ("deltaRoll", "-5.07246e-06"), ("deltaPitch", "-3.26087e-05")]
        rows += [("deltaYaw", "-1.13155e-05")]
        attitudes.append(group("attitude", *(leaf(a, b) for a, b in rows), attrs=(("description", "PACDB_AOCC"),)))
        dt = (t - centre).total_seconds()
        slon, slat = lon - 0.07 * dt * 0.01, lat - 0.061 * dt
        x, y, z = ecef(slon, slat, 778_000.0)
        vx, vy, vz = enu_to_ecef(slon, slat, -1500.0, -7300.0)
        erows = [("time", t.strftime("%Y-%m-%dT%H:%M:%S")), ("x", f6(x)), ("y", f6(y)), ("z", f6(z))]
        erows += [("vx", f6(vx)), ("vy", f6(vy)), ("vz", f6(vz))]
        ephemerides.append(group("ephemeris", *(leaf(a, b) for a, b in erows), attrs=(("description", "PACDB_GPS"),)))
    image = group(
        "image",
        leaf("receivingStation", "CBA" if not cb4a else "Unknown location"),
        leaf("processingStation", '"Cachoeira Paulista"' if not cb4a else "Sao Jose dos Campos"),
        leaf("processingTime", _iso(received + timedelta(hours=1.5), 6)),
        leaf("level", level[1:]),
        leaf("columns", str(columns)),
        leaf("lines", str(lines)),
        leaf("verticalPixelSize", f6(spacing)),
        leaf("horizontalPixelSize", f6(spacing)),
        leaf("orbitDirection", "Descending"),
        group("timeStamp", leaf("begin", _iso(begin, 6)), leaf("center", _iso(centre, 6)), leaf("end", _iso(end, 6))),
        leaf("path", str(path)),
        leaf("row", str(row)),
        leaf("shiftFromNominal", "0"),
        leaf("shiftFromNominalInSeconds", "0"),
        leaf("shiftFromNominalInPercent", "0"),
        group("sunPosition", leaf("elevation", f"{90.0 - zenith:g}"), leaf("sunAzimuth", f"{azimuth:g}")),
    )
    if cb4a:
        image.add(leaf("focalDistance", "2.22027e+06"))
    matrix = group("boresightMatrix")
    for r in range(3):
        for c in range(3):
            v = 1.0 - abs(rng.gauss(0, 4e-6)) if r == c else rng.gauss(0, 0.003)
            matrix.add(El("value", f6(v), attrs=(("col", str(c)), ("row", str(r)))))
    image.add(matrix, leaf("ephemerisMode", "PACDB_GPS" if cb4a else "AUTO"))
    if cb4a:
        image.add(
            group("gain", *(El("band", "0x7F", attrs=(("cal", "2"), ("name", str(b)))) for b in bands)),
            group("stages", *(El("band", f"0x{b + 1}3", attrs=(("cal", "3"), ("name", str(b)))) for b in bands)),
        )
    image.add(
        group("boundingBox", *(_corner(*c) for c in grid)),
        group("imageData", *(_corner(*c) for c in data)),
        group("attitudes", *attitudes),
        group("ephemerides", *ephemerides),
        *(
            leaf(k, v)
            for k, v in (
                ("interpolation", "BC"),
                ("datumName", "WGS84"),
                ("semiMajorAxis", "6378137.000000"),
                ("flattening", "0.003353"),
                ("xShiftToWGS84", "0.000000"),
                ("yShiftToWGS84", "0.000000"),
                ("zShiftToWGS84", "0.000000"),
                ("projectionName", "UTM"),
                ("originLongitude", str(zone * 6 - 183)),
                ("originLatitude", "0"),
                ("scaleFactor", "0.999600"),
                ("falseEasting", "500000.000000"),
                ("falseNorthing", "0.000000" if fp.centre[1] >= 0 else "10000000.000000"),
                ("loadedCalibration", f"/sge/var/technical_database/CBERS-{'4A/WPM' if cb4a else '4/MUX'}/cal"),
                ("loadedCpf", f"/sge/var/technical_database/CBERS-{'4A/WPM' if cb4a else '4/MUX'}/cpf"),
                (f"band{band}", image_path),
            )
        ),
    )
    if not cb4a:
        image.add(
            group("integrationTime", *(El("band", "148600", attrs=(("name", str(b)),)) for b in bands)),
            group(
                "absoluteCalibrationCoefficient",
                *(El("band", f"{rng.uniform(1.1, 1.6):g}", attrs=(("name", str(b)),)) for b in bands),
            ),
        )
    if cb4a:
        losses = group("syncLoss")
        for b in bands:
            pixels = columns * lines
            attrs = (("name", str(b)), ("pixels", str(pixels)), ("pixels_frame_losses", "0"))
            losses.add(El("band", "0.00", attrs=(*attrs, ("pixels_partial_losses", "0"))))
        image.add(losses)
    image.add(leaf("timeCodeSource", "START_TIME" if cb4a else "ON_BOARD_TIME"))
    version = "0.0.0" if cb4a else "6.7.1"
    root = El(
        "prdf",
        attrs=(
            ("xmlns", NS),
            ("generator", "G2T"),
            ("generatorVersion", version),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xsi:schemaLocation", f"{NS} /sge/install/x86_64/etc/../etc/schemas/prdf.xsd"),
        ),
    )
    gain = () if cb4a else (("gain", "2"),)
    root.add(
        group(
            "satellite",
            leaf("name", "CBERS"),
            leaf("number", "4A" if cb4a else "4"),
            El("instrument", "WPM" if cb4a else "MUX", attrs=(("channel", "1"),)),
        ),
        leaf("software", "G2T"),
        leaf("version", version),
        leaf("revolutionNumber", "0"),
        leaf("imageMode", "VIEW"),
        group("availableBands", *(El("band", str(b), attrs=gain) for b in bands)),
        _dms("orientationAngle", heading),
        _dms("sunIncidenceAngle", zenith),
        group("viewing", leaf("begin", _iso(begin)), leaf("center", _iso(centre)), leaf("end", _iso(end))),
        group(
            "reception",
            leaf("begin", _iso(received - half)),
            leaf("center", _iso(received)),
            leaf("end", _iso(received + half)),
        ),
        image,
    )
    return render(root, declaration=DECL_INPE, indent="  ", blank_depth=1)


def cbers_inpe(ctx: Ctx) -> Built:
    """``CBERS_4_MUX_<date>_<path>_<row>_L2`` / ``CBERS_4A_WPM_…_L4`` with ``<name>_BAND<n>.tif`` + ``.xml``."""
    cb4a = ctx.index % 2 == 1
    if cb4a:
        sat, cam, level, launch, swath = "4A", "WPM", "L2" if ctx.index % 4 == 3 else "L4", date(2020, 1, 1), 92.0
        layout = [(0, "pan", 2.0), (1, "blue", 8.0), (2, "green", 8.0), (3, "red", 8.0), (4, "nir", 8.0)]
    else:
        sat, cam, level, launch, swath = "4", "MUX", "L2", date(2015, 1, 1), 120.0
        layout = [(5, "blue", 20.0), (6, "green", 20.0), (7, "red", 20.0), (8, "nir", 20.0)]
    fp, centre, cloud, rng = _shot(ctx, launch, swath)
    heading = track_heading(fp.centre[1], rng)
    path, row = rng.randrange(1, 374), rng.randrange(1, 180)
    name = f"CBERS_{sat}_{cam}_{centre:%Y%m%d}_{path:03d}_{row:03d}_{level}"
    built = Built(name, centre + timedelta(days=1, hours=rng.uniform(0.0, 6.0)))
    crs, zone = _utm(fp)
    lons = [c[0] for c in fp.corners] + [fp.centre[0]]
    lats = [c[1] for c in fp.corners] + [fp.centre[1]]
    xs, ys = reproject_points("EPSG:4326", crs, lons, lats)
    minx, miny, maxx, maxy = min(xs), min(ys), max(xs), max(ys)
    glon, glat = reproject_points(
        crs, "EPSG:4326", [minx, maxx, maxx, minx, (minx + maxx) / 2], [maxy, maxy, miny, miny, (miny + maxy) / 2]
    )
    ms = raster.scene(ctx.nprng("inpe"), [k for _, k, _ in layout], 96, 96, cloud)
    bits8 = not cb4a
    for number, kind, spacing in layout:
        columns, lines = round((maxx - minx) / spacing), round((maxy - miny) / spacing)
        positions = [(0.0, 0.0), (0.0, columns - 1.0), (lines - 1.0, columns - 1.0), (lines - 1.0, 0.0)]
        positions.append(((lines - 1) / 2.0, (columns - 1) / 2.0))
        tags = ("UL", "UR", "LR", "LL", "CT")
        corners = [(minx, maxy), (maxx, maxy), (maxx, miny), (minx, miny), ((minx + maxx) / 2, (miny + maxy) / 2)]
        grid = [
            (t, p[0], p[1], glon[i], glat[i], *corners[i]) for i, (t, p) in enumerate(zip(tags, positions, strict=True))
        ]
        data = [
            (t, p[0], p[1], lons[i], lats[i], xs[i], ys[i])
            for i, (t, p) in enumerate(zip(tags, positions, strict=True))
        ]
        band_arr = ms[[k for _, k, _ in layout].index(kind)][None]
        if kind == "pan":
            band_arr = band_arr.repeat(2, axis=1).repeat(2, axis=2)
        if bits8:
            band_arr = (band_arr // 4).astype(np.uint8)
        stem = f"{name}_BAND{number}"
        built.add(f"{stem}.tif", raster.geotiff(band_arr, (minx, miny, maxx, maxy), crs=crs))
        xml = _prdf(
            cb4a=cb4a,
            band=number,
            bands=[b for b, _, _ in layout],
            level=level,
            columns=columns,
            lines=lines,
            spacing=spacing,
            centre=centre,
            path=path,
            row=row,
            fp=fp,
            grid=grid,
            data=data,
            zone=zone,
            heading=heading,
            image_path=f"/sge/TIFF/CBERS{sat}/{stem}.tif",
            rng=ctx.rng(stem),
        )
        built.add(f"{stem}.xml", xml)
    return built
