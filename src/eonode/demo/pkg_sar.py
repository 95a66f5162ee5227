"""GF-3 SAR packages: ``<base>.meta.xml`` (``product`` tree, §4.2), ``<base>.incidence.xml`` and, per
polarisation, ``…_<POL>_….tiff`` + ``.rpc`` (+ ``.jpg`` and ``.thumb.jpg``).

Variants by index: level = (L1A, L1B, L2)[index % 3], imaging mode cycles with index // 3 (ScanSAR
modes are never L1A, whose strips would be split into ``_Strip_<n>`` files). GF-3 flies a dawn-dusk
orbit, so scenes are imaged near 06:00 (descending) or 18:00 (ascending) local solar time, in UTC.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_geo import (
    EARTH_R,
    Footprint,
    day_between,
    ecef,
    enu_to_ecef,
    hemi_lat,
    hemi_lon,
    land_point,
    offset,
    quad,
    solar_time,
    track_heading,
)
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_optical import BROWSE_SIDE, THUMB_SIDE
from eonode.demo.pkg_rpc import fit, rpb_text
from eonode.demo.pkg_xml import DECL_STANDALONE, El, f6, group, leaf, render
from eonode.demo.synthetic import END

LEVELS = ("L1A", "L1B", "L2")
# mode: (resolution m, swath km, polarisation groups, ScanSAR)
MODES: dict[str, tuple[float, float, tuple[str, ...], bool]] = {
    "FSI": (5.0, 50.0, ("HHHV", "VVVH"), False),
    "UFS": (3.0, 30.0, ("DH", "DV", "HH", "VV"), False),
    "QPSI": (8.0, 30.0, ("AHV",), False),
    "SS": (25.0, 130.0, ("HHHV", "VVVH"), True),
    "SL": (1.0, 10.0, ("HH", "VV"), False),
    "FSII": (10.0, 100.0, ("HHHV", "VVVH"), False),
    "NSC": (50.0, 300.0, ("HHHV", "VVVH"), True),
    "WSC": (100.0, 500.0, ("HHHV", "VVVH"), True),
}
POLS = {"HH": ("HH",), "VV": ("VV",), "DH": ("HH",), "DV": ("VV",), "HHHV": ("HH", "HV"), "VVVH": ("VV", "VH")}
POLS["AHV"] = ("HH", "HV", "VH", "VV")
ALL_POLS = ("HH", "HV", "VH", "VV")
ALTITUDE = 755_000.0


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _per_pol(values: dict[str, str]) -> list[El]:
    return [leaf(p, values.get(p, "NULL")) for p in ALL_POLS]


def _orbit_records(
    fp: Footprint, travel: tuple[float, float], start: datetime, end: datetime, rng: random.Random
) -> tuple[list[El], list[El], dict[str, float]]:
    """A handful of GPS and attitude records around the imaging interval, and the centre state."""
    right = (travel[1], -travel[0])  # right of the direction of travel: GF-3 looks right
    sub = offset(*fp.centre, -470.0 * right[0], -470.0 * right[1])
    speed = 7565.0
    gps, atti = [], []
    first = start.replace(microsecond=0) - timedelta(seconds=3)
    centre_t = start + (end - start) / 2
    span = int((end - first).total_seconds()) + 4
    step = max(1, math.ceil(span / 20))  # real files hold one record a second; a handful is enough here
    for k in range(0, span, step):
        t = first + timedelta(seconds=k)
        dt = (t - centre_t).total_seconds()
        lon, lat = offset(*sub, travel[0] * speed * dt / 1000.0 * 0.9, travel[1] * speed * dt / 1000.0 * 0.9)
        x, y, z = ecef(lon, lat, ALTITUDE)
        vx, vy, vz = enu_to_ecef(lon, lat, travel[0] * speed, travel[1] * speed)
        gps.append(
            group(
                "GPSParam",
                leaf("TimeStamp", _ts(t)),
                leaf("xPosition", f6(x)),
                leaf("yPosition", f6(y)),
                leaf("zPosition", f6(z)),
                leaf("xVelocity", f6(vx)),
                leaf("yVelocity", f6(vy)),
                leaf("zVelocity", f6(vz)),
            )
        )
    yaw, roll, pitch = rng.uniform(3.0, 4.0), rng.uniform(-0.05, 0.05), rng.uniform(-0.06, 0.06)
    for k in range(0, 2 * span, step):
        t = first + timedelta(seconds=k * 0.5, microseconds=rng.randrange(1000))
        atti.append(
            group(
                "ATTIParam",
                leaf("TimeStamp", _ts(t)),
                leaf("yawAngle", f6(yaw)),
                leaf("rollAngle", f6(roll)),
                leaf("pitchAngle", f6(pitch)),
            )
        )
    x, y, z = ecef(*sub, ALTITUDE)
    vx, vy, vz = enu_to_ecef(*sub, travel[0] * speed, travel[1] * speed)
    state = {"Xs": x, "Ys": y, "Zs": z, "Vxs": vx, "Vys": vy, "Vzs": vz, "yaw": yaw, "roll": roll, "pitch": pitch}
    return gps, atti, state


def _sensor(mode: str, pol_group: str, pols: tuple[str, ...], look: float, rng: random.Random) -> El:
    def beam(tag: str) -> El:
        return group(
            tag,
            leaf("prfCounter", "0"),
            leaf("transmitBeamNum", "0"),
            leaf("receiveBeamNum", "0"),
            leaf("scanNum", "0"),
            leaf("squintAngle", "0.000000"),
        )

    prf = rng.uniform(1800.0, 3800.0)
    mgc = {p: str(rng.randrange(20, 45)) for p in ALL_POLS}
    wave = group(
        "wave",
        leaf("waveCode", str(rng.randrange(1, 400))),
        leaf("centerLookAngle", f6(look)),
        leaf("prf", f6(prf)),
        leaf("proBandwidth", f6(prf * 0.59)),
        leaf("sampleRate", f6(rng.choice((66.666667, 133.333333, 266.666667)))),
        leaf("sampleDelay", f6(rng.uniform(30.0, 60.0))),
        leaf("bandWidth", f6(rng.choice((60.0, 100.0, 240.0)))),
        leaf("pulseWidth", f6(rng.choice((30.0, 45.0, 50.0)))),
        leaf("frameLength", str(rng.choice((8448, 16896)))),
        leaf("compression", "BAQ8:4"),
        leaf("baqBlock", "1024"),
        group("valueMGC", *(leaf(p, mgc[p]) for p in ALL_POLS)),
        leaf("groundVelocity", f6(rng.uniform(6750.0, 6780.0))),
        leaf("averageAltitude", f6(rng.uniform(0.0, 3000.0))),
    )
    spot = group("spotlightPara", beam("start"), beam("center"), beam("end"))
    spot.add(leaf("scanStep", "0.000000"), leaf("scanSwichNum", "0"), leaf("startScanAngle", "0.000000"))
    return group(
        "sensor",
        leaf("sensorID", "SAR"),
        leaf("imagingMode", mode),
        leaf("lamda", "0.055517"),
        leaf("RadarCenterFrequency", "5.400012"),
        group("waveParams", wave, attrs=(("num", "1"),)),
        spot,
        leaf("lookDirection", "R"),
        leaf("antennaMode", "S"),
        leaf("agcMode", "MGC"),
        group("polarParams", group("polar", leaf("polarMode", pol_group)), attrs=(("num", str(len(pols))),)),
    )


def gf3_sar(ctx: Ctx) -> Built:
    """``GF3_<station>_<mode>_<orbit6>_<lon>_<lat>_<date>_<level>_<pols>_L<d><id10>``."""
    rng = ctx.rng("shot")
    level = LEVELS[ctx.index % 3]
    order = list(MODES)
    mode = order[(ctx.index // 3) % len(order)]
    res, swath, groups, scansar = MODES[mode]
    if scansar and level == "L1A":
        level = "L1B"
    pol_group = rng.choice(groups)
    pols = POLS[pol_group]
    lon, lat = land_point(rng)
    day = day_between(rng, date(2016, 9, 1), END)
    ascending = rng.random() < 0.5
    centre = solar_time(day, lon, 18.0 if ascending else 6.0, rng, 0.1)
    length = swath * rng.uniform(1.0, 1.15)
    fp = quad(lon, lat, swath, length, track_heading(lat, rng), flip=ascending)
    duration = timedelta(seconds=length / 6.76)
    start, end = centre - duration / 2, centre + duration / 2
    station = rng.choice(("KAS", "SAY", "MYN", "MDJ"))
    orbit = int((day - date(2016, 8, 10)).days * 14.42) + rng.randrange(14)
    pid = 1_800_000 + ctx.index * 1000 + rng.randrange(1000)
    digit = "2" if level == "L2" else "1"
    clon, clat = fp.centre
    head = f"GF3_{station}_{mode}_{orbit:06d}_{hemi_lon(clon)}_{hemi_lat(clat)}_{centre:%Y%m%d}_{level}"
    name = f"{head}_{pol_group}_L{digit}{pid:010d}"
    produced = end + timedelta(hours=rng.uniform(2.0, 40.0))
    built = Built(name, produced)
    spacing = res / 2.0
    width, height = round(swath * 1000 / spacing), round(length * 1000 / spacing)
    side = 128
    w_small = side if width >= height else max(8, round(side * width / height))
    h_small = side if height >= width else max(8, round(side * height / width))
    for pol in pols:
        stem = f"{head}_{pol}_L{digit}{pid:010d}"
        arr = raster.speckle(ctx.nprng(pol), h_small, w_small, complex_iq=level == "L1A")
        built.add(stem + ".tiff", raster.geotiff(arr, fp.bbox))
        built.add(stem + ".rpc", rpb_text(fit(fp, w_small, h_small, ctx.rng("rpc" + pol))))
        if ctx.quicklooks:
            amp = arr if level != "L1A" else (abs(arr[:1].astype("float32")) + abs(arr[1:].astype("float32")))
            built.add(stem + ".jpg", raster.jpeg(raster.quicklook(amp, BROWSE_SIDE, None), fp.bbox), quicklook=True)
            thumb = raster.jpeg(raster.quicklook(amp, THUMB_SIDE, None), fp.bbox)
            built.add(stem + ".thumb.jpg", thumb, quicklook=True)
    look = rng.uniform(20.0, 45.0)
    near = look * 1.1 - swath * 0.032
    far = look * 1.1 + swath * 0.032
    (tl_lon, tl_lat), (bl_lon, bl_lat) = fp.corners[0], fp.corners[3]
    travel = ((tl_lon - bl_lon) * math.cos(math.radians(clat)), tl_lat - bl_lat)  # "up" the image, in km ratios
    norm = math.hypot(*travel)
    travel = (travel[0] / norm, travel[1] / norm) if ascending else (-travel[0] / norm, -travel[1] / norm)
    gps, atti, state = _orbit_records(fp, travel, start, end, rng)
    root = group(
        "product",
        leaf("segmentID", str(rng.randrange(100_000, 999_999))),
        leaf("sceneID", str(int(pid * 1.6))),
        leaf("satellite", "GF3"),
        leaf("orbitID", str(orbit)),
        leaf("orbitType", "ELLIPSE"),
        leaf("attiType", "STAR"),
        leaf("Direction", "ASC" if ascending else "DEC"),
        leaf("productID", str(pid)),
        leaf("DocumentIdentifier", "1.0"),
        leaf("ReceiveTime", "NULL"),
        leaf("IsZeroDopplerSteering", "1"),
        leaf("Station", station),
        _sensor(mode, pol_group, pols, look, rng),
        group(
            "platform",
            leaf("CenterTime", _ts(centre)),
            leaf("Rs", f6(EARTH_R + ALTITUDE)),
            leaf("satVelocity", f6(7565.0)),
            leaf("RollAngle", f6(state["roll"])),
            leaf("PitchAngle", f6(state["pitch"])),
            leaf("YawAngle", f6(state["yaw"])),
            *(leaf(k, f6(state[k])) for k in ("Xs", "Ys", "Zs", "Vxs", "Vys", "Vzs")),
        ),
        group("GPS", *gps),
        group("ATTI", *atti),
        group(
            "productinfo",
            leaf("NominalResolution", f"{res:.1f}"),
            leaf("WidthInMeters", f6(width * spacing)),
            leaf("productLevel", digit),
            leaf("productType", "SLC" if level == "L1A" else "SLP"),
            leaf("productFormat", "GEOTIFF"),
            leaf("productGentime", produced.strftime("%Y-%m-%d %H:%M:%S")),
            leaf("productPolar", pol_group),
        ),
        _imageinfo(fp, start, end, width, height, spacing, pols, rng),
        _processinfo(pols, near, far, rng),
    )
    built.add(f"{name}.meta.xml", render(root, declaration=DECL_STANDALONE))
    built.add(f"{name}.incidence.xml", _incidence(near, far, width))
    return built


def _imageinfo(
    fp: Footprint,
    start: datetime,
    end: datetime,
    width: int,
    height: int,
    spacing: float,
    pols: tuple[str, ...],
    rng: random.Random,
) -> El:
    def point(tag: str, lon: float, lat: float) -> El:
        return group(tag, leaf("latitude", f6(lat)), leaf("longitude", f6(lon)))

    tl, tr, br, bl = fp.corners
    near = rng.uniform(800_000.0, 1_000_000.0)
    return group(
        "imageinfo",
        group("imagingTime", leaf("start", _ts(start)), leaf("end", _ts(end))),
        leaf("nearRange", f6(near)),
        leaf("refRange", f6(near + width * spacing * 0.3)),
        leaf("eqvFs", "66.666667"),
        leaf("eqvPRF", f6(rng.uniform(1800.0, 3800.0))),
        point("center", *fp.centre),
        group(
            "corner", point("topLeft", *tl), point("topRight", *tr), point("bottomLeft", *bl), point("bottomRight", *br)
        ),
        leaf("width", str(width)),
        leaf("height", str(height)),
        leaf("widthspace", f6(spacing)),
        leaf("heightspace", f6(spacing)),
        leaf("sceneShift", "0.000000"),
        leaf("imagebit", "16bit"),
        group("QualifyValue", *_per_pol({p: f6(rng.uniform(300.0, 1200.0)) for p in pols})),
        group("echoSaturation", *_per_pol({p: f6(rng.uniform(0.001, 0.006)) for p in pols})),
    )


def _processinfo(pols: tuple[str, ...], near: float, far: float, rng: random.Random) -> El:
    flags = [
        ("AzFdc0", f6(rng.uniform(-5.0, 5.0))),
        ("AzFdc1", f6(rng.uniform(-1e-4, 1e-4))),
        ("MultilookRange", "1"),
        ("MultilookAzimuth", "1"),
        ("DoIQComp", "0"),
        ("DoChaComp", "1"),
        ("DoFPInnerImbalanceComp", "NULL"),
        ("DoFPCalibration", "NULL"),
        ("DoFdcEst", "0"),
        ("DoFrEst", "0"),
        ("RangeWeightType", "1"),
        ("RangeWeightPara", "-26.000000,0.000000"),
        ("AzimuthWeightType", "1"),
        ("AzimuthWeightPara", "-25.000000,0.000000"),
        ("Sidelobe_Suppress_Flag", "0"),
        ("Speckle_Suppress_Flag", "0"),
        ("EarthModel", "WGS84"),
        ("ProjectModel", "UTM"),
        ("DEMModel", "0"),
        ("QualifyModel", "0"),
        ("RadiometricModel", "0"),
        ("incidenceAngleNearRange", f6(near)),
        ("incidenceAngleFarRange", f6(far)),
        ("InnerCalibration", "NULL"),
        ("DifferentBetweenDifferentChannel", "NULL"),
        *((f"NumberOfPole{p}MissingLines", "0") for p in ALL_POLS),
        ("ReceiverSettableGain", "1"),
        ("ProcessorGainCorrection", "1"),
        ("ElevationPatternCorrection", "0"),
        ("AmuthPatternCorrection", "0"),
        ("RangeLookBandWidth", "60.000000"),
        ("AzimuthLookBandWidth", f6(rng.uniform(1200.0, 2200.0))),
        ("TotalProcessedAzimuthBandWidth", f6(rng.uniform(1200.0, 2200.0))),
        ("DopplerParametersReferenceTime", f6(rng.uniform(2000.0, 4000.0))),
    ]
    return group(
        "processinfo",
        leaf("EphemerisData", "RT"),
        leaf("AttitudeData", "RT"),
        leaf("algorithm", "CS"),
        group("CalibrationConst", *_per_pol({p: f6(rng.uniform(23.0, 34.0)) for p in pols})),
        *(leaf(k, v) for k, v in flags),
        group("DopplerCentroidCoefficients", *(leaf(f"d{i}", f6(rng.gauss(0, 10.0**-i))) for i in range(5))),
        group(
            "DopplerRateValuesCoefficients",
            *(leaf(f"r{i}", f6(rng.gauss(0, 2000.0 * 10.0 ** -(2 * i)))) for i in range(5)),
        ),
        leaf("DEM", f6(rng.uniform(0.0, 3000.0))),
    )


def _incidence(near: float, far: float, width: int, count: int = 21) -> bytes:
    """``<base>.incidence.xml``: ``numberofIncidenceValue``, ``stepSize`` and the values across range."""
    step = max(1, width // (count - 1))
    values = [near + (far - near) * k / (count - 1) for k in range(count)]
    root = group(
        "root",
        leaf("numberofIncidenceValue", str(count)),
        leaf("stepSize", str(step)),
        *(leaf("incidenceValue", f6(v)) for v in values),
    )
    return render(root, declaration=DECL_STANDALONE)
