"""CRESDA ``ProductMetaData`` documents in their generations, plus the 2023 package's side files.

Layouts follow product-formats.md §4.1 and the real fixtures: the classic 66 leaves (GF-4 adds
``Gain``/``Bias`` → 68), the 2023 generation with 82, and the ZY-1 02D variant (``Level`` instead of
``ProductLevel``, ``ImageGSDLine``/``ImageGSDSample``, ``POrbitID``). Times are Beijing time; the
``ReceiveTime`` of a LEO product is the UTC centre time (= CenterTime − 8 h), of GF-4 the CenterTime.
Classic numbers are C++ ``%g``, 2023 numbers have 15 decimals (except the PAN ``ImageGSD``, ``0.81``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from eonode.demo.pkg_geo import Footprint, bj, utc
from eonode.demo.pkg_xml import DECL_CRESDA, DECL_PLAIN, PAIR, SHORT, El, f15, g6, group, leaf, render

CORNERS = tuple(
    f"{c}{a}" for c in ("TopLeft", "TopRight", "BottomRight", "BottomLeft") for a in ("Latitude", "Longitude")
)
MAPXY = tuple(f"{c}Map{a}" for c in ("TopLeft", "TopRight", "BottomRight", "BottomLeft") for a in ("X", "Y"))


def _words(text: str) -> list[str]:
    return text.split()


CLASSIC = [
    *_words(
        "SatelliteID SensorID ReceiveTime OrbitID ProduceType SceneID ProductID ProductLevel ProductQuality "
        "ProductQualityReport ProductFormat ProduceTime Bands ScenePath SceneRow SatPath SatRow SceneCount SceneShift "
        "StartTime EndTime CenterTime ImageGSD WidthInPixels HeightInPixels WidthInMeters HeightInMeters CloudPercent "
        "QualityInfo PixelBits ValidPixelBits RollViewingAngle PitchViewingAngle RollSatelliteAngle "
        "PitchSatelliteAngle YawSatelliteAngle SolarAzimuth SolarZenith SatelliteAzimuth SatelliteZenith GainMode "
        "IntegrationTime IntegrationLevel MapProjection EarthEllipsoid ZoneNo ResamplingKernel HeightMode "
        "MtfCorrection RelativeCorrectionData"
    ),
    *CORNERS,
    *MAPXY,
]
_gain = CLASSIC.index("GainMode") + 1
GF4 = [*CLASSIC[:_gain], "Gain", "Bias", *CLASSIC[_gain:]]
GEN2023 = [
    *_words(
        "SatelliteID ReceiveStationID SensorID ReceiveTime OrbitID OrbitType AttType StripID ProduceType SceneID "
        "DDSFlag ProductID ProductQuality ProductQualityReport ProductLevel ProductFormat ProduceTime Bands ScenePath "
        "SceneRow SatPath SatRow SceneCount SceneShift StartTime EndTime CenterTime StartLine EndLine ImageGSD "
        "WidthInPixels HeightInPixels WidthInMeters HeightInMeters RegionName CloudPercent DataSize RollViewingAngle "
        "PitchViewingAngle RollSatelliteAngle PitchSatelliteAngle YawSatelliteAngle SolarAzimuth SolarZenith "
        "SatelliteAzimuth SatelliteZenith GainMode IntegrationTime IntegrationLevel MapProjection EarthEllipsoid "
        "ZoneNo ResamplingKernel HeightMode EphemerisData AttitudeData RadiometricMethod MtfCorrection Denoise "
        "RayleighCorrection UsedGCPNo CenterLatitude CenterLongitude"
    ),
    *CORNERS,
    *MAPXY,
    "DataArchiveFile",
    "BrowseFileLocation",
    "ThumbFileLocation",
]
_gsd = GEN2023.index("ImageGSD")
_orbit = GEN2023.index("OrbitID")
ZY1E = [
    *GEN2023[: _orbit + 1],
    "POrbitID",
    *GEN2023[_orbit + 1 : _gsd],
    "ImageGSDLine",
    "ImageGSDSample",
    *GEN2023[_gsd + 1 :],
]
ZY1E[ZY1E.index("ProductLevel")] = "Level"

LAYOUTS = {"classic": CLASSIC, "gf4": GF4, "2023": GEN2023, "zy1e": ZY1E}
# Empty leaves written as <X></X> in the classic files (the others are <X />); the 2023 files use <X></X> only.
_CLASSIC_PAIRS = {"QualityInfo", "PixelBits", "ValidPixelBits", "RelativeCorrectionData"}


@dataclass(frozen=True, slots=True)
class Meta:
    """Everything one ``ProductMetaData`` says about one image file."""

    satellite: str
    sensor: str
    station: str
    orbit: int
    strip: int
    scene_id: int
    product_id: int
    level: str  # LEVEL1A …
    produced: datetime
    bands: str
    path: int
    row: int
    sat_path: int
    sat_row: int
    start: datetime
    centre: datetime
    end: datetime
    gsd: float
    width: int
    height: int
    cloud: int
    roll_sat: float
    pitch_sat: float
    yaw_sat: float
    sun_azimuth: float
    sun_zenith: float  # the value written: GF-4 writes an elevation here (§4.9 item 2)
    sat_azimuth: float
    sat_zenith: float
    integration_time: float | str  # seconds per line, or GF-4's per-band list
    footprint: Footprint
    gain_mode: str | None = None
    integration_level: str | None = None
    gain: str | None = None
    bias: str | None = None
    pitch_view: float = 0.0
    scene_shift: int = 1
    pixel_bits: int | None = None
    valid_bits: int | None = None
    earth_ellipsoid: str | None = None
    geostationary: bool = False
    pan: bool = False
    bytes_per_pixel: int = 2


def _values(m: Meta, style: str) -> dict[str, str | None]:
    num = f15 if style in ("2023", "zy1e") else g6
    fp = m.footprint
    corners: dict[str, str | None] = {}
    for name, (lon, lat) in zip(("TopLeft", "TopRight", "BottomRight", "BottomLeft"), fp.corners, strict=True):
        corners[f"{name}Latitude"], corners[f"{name}Longitude"] = num(lat), num(lon)
    gsd = g6(m.gsd) if m.pan or style in ("classic", "gf4") else f15(m.gsd)
    nbands = len(m.bands.split(","))
    return {
        "SatelliteID": m.satellite,
        "ReceiveStationID": m.station,
        "SensorID": m.sensor,
        "ReceiveTime": bj(m.centre) if m.geostationary else utc(m.centre),
        "OrbitID": str(m.orbit),
        "POrbitID": str(m.orbit),
        "OrbitType": "GPS",
        "AttType": "DMA",
        "StripID": str(m.strip),
        "ProduceType": "STANDARD",
        "SceneID": str(m.scene_id),
        "DDSFlag": "TRUE",
        "ProductID": str(m.product_id),
        "ProductLevel": m.level,
        "Level": m.level,
        "ProductFormat": "GEOTIFF",
        "ProduceTime": bj(m.produced),
        "Bands": m.bands,
        "ScenePath": str(m.path),
        "SceneRow": str(m.row),
        "SatPath": str(m.sat_path),
        "SatRow": str(m.sat_row),
        "SceneCount": "1",
        "SceneShift": str(m.scene_shift),
        "StartTime": bj(m.start),
        "EndTime": bj(m.end),
        "CenterTime": bj(m.centre),
        "ImageGSD": gsd,
        "ImageGSDLine": gsd,
        "ImageGSDSample": gsd,
        "WidthInPixels": str(m.width),
        "HeightInPixels": str(m.height),
        "RegionName": "CH",
        "CloudPercent": str(m.cloud),
        "DataSize": str(m.width * m.height * nbands * m.bytes_per_pixel // (1 << 20)),
        "PixelBits": None if m.pixel_bits is None else str(m.pixel_bits),
        "ValidPixelBits": None if m.valid_bits is None else str(m.valid_bits),
        "RollViewingAngle": num(0.0),
        "PitchViewingAngle": num(m.pitch_view),
        "RollSatelliteAngle": num(m.roll_sat),
        "PitchSatelliteAngle": num(m.pitch_sat),
        "YawSatelliteAngle": num(m.yaw_sat),
        "SolarAzimuth": num(m.sun_azimuth),
        "SolarZenith": num(m.sun_zenith),
        "SatelliteAzimuth": num(m.sat_azimuth),
        "SatelliteZenith": num(m.sat_zenith),
        "GainMode": m.gain_mode,
        "Gain": m.gain,
        "Bias": m.bias,
        "IntegrationTime": m.integration_time if isinstance(m.integration_time, str) else num(m.integration_time),
        "IntegrationLevel": m.integration_level,
        "EarthEllipsoid": m.earth_ellipsoid,
        "EphemerisData": "GPS",
        "AttitudeData": "DMA",
        "RadiometricMethod": "LAB",
        "MtfCorrection": "LAB",
        "Denoise": "MOMENT",
        "RayleighCorrection": "N",
        "UsedGCPNo": "0",
        "CenterLatitude": num(fp.centre[1]),
        "CenterLongitude": num(fp.centre[0]),
        **corners,
    }


def product_xml(m: Meta, style: str) -> bytes:
    """One ``ProductMetaData`` document; ``style`` is ``classic``, ``gf4``, ``2023`` or ``zy1e``."""
    values = _values(m, style)
    modern = style in ("2023", "zy1e")
    root = El("ProductMetaData")
    for tag in LAYOUTS[style]:
        empty = PAIR if modern or tag in _CLASSIC_PAIRS else SHORT
        root.add(leaf(tag, values.get(tag), empty))
    return render(root, declaration=DECL_CRESDA)


def order_xml(m: Meta, parts: list[str], task: int) -> bytes:
    """The processing order shipped in 2023 packages (``InterfaceFile``, §4.8); readers skip it."""
    day = (m.centre + timedelta(hours=8)).strftime("%Y/%m%d")
    raw = f"/PGS/WORKDIR//{m.satellite}/RAW/{day}/{m.orbit}-{m.strip:010d}"
    stem = f"{m.station}-{m.satellite}-{{part}}-{m.centre:%Y%m%d}-{m.orbit:06d}-{m.strip:010d}"
    aux = ",".join(f"{raw}/{stem.format(part=p)}.{ext}" for p in parts for ext in ("IT", "ATT", "EPH"))
    l0 = f"/DIS/Level0Data/{m.satellite}//{m.orbit}/{m.station}/"
    inputs = ",".join(
        f"{l0}{m.satellite}-{p}-{m.path}-{m.row}B-L{m.scene_id:011d}-C{c}.DAT" for p in parts for c in range(1, 6)
    )
    body = [
        ("MTFC", "LAB"),
        ("MapProjection", "UTM"),
        ("BitNumber", "10"),
        ("EPHFilePath", aux),
        ("RayleighCorrection", "N"),
        ("GcpSource", "02B-HR"),
        ("AutoProcessing", "N"),
        ("StripID", str(m.strip)),
        ("ReceiveStationID", m.station),
        ("AttType", "DMA"),
        ("HeightMode", "DEM"),
        ("ProduceType", "STANDARD"),
        ("ProductCount", "1"),
        ("OrbitType", "GPS"),
        ("TimeStandard", "BJTime"),
        ("RadioMetric", "LAB"),
        ("TaskRunID", str(task)),
        ("ATTFilePath", aux),
        ("ProductLevel", m.level),
        ("SceneCount", "1"),
        ("SatelliteID", m.satellite),
        ("SceneID", str(m.scene_id)),
        ("Denoise", "MOMENT"),
        ("SensorID", m.sensor),
        ("ResamplingKernel", "CC"),
        ("ActivityID", f"{m.satellite}_{task}"),
        ("EarthEllipsoid", "GDZ80"),
        ("MaOMSrojection", "UTM"),  # sic: the misspelt duplicate of MapProjection in the real file
        ("ProductID", str(m.product_id)),
        ("BandRegister", "PYRAMID"),
        ("OrbitID", str(m.orbit)),
        ("InputFile", inputs),
        ("Bands", "1,2,3,4,5"),
    ]
    header = [
        ("Originator", "PP"),
        ("CreationTime", bj(m.produced - timedelta(hours=8))),
        ("Recipient", "PGS"),
        ("Landing", "LANDING"),
        ("SatelliteID", m.satellite),
        ("IPAddress", "10.20.30.40"),
        ("MessageType", "ProcessProduct"),
        ("MessageID", str(200000000000 + task * 37)),
    ]
    root = group(
        "InterfaceFile",
        group("FileBody", *(leaf(k, v) for k, v in body)),
        group("FileHeader", *(leaf(k, v) for k, v in header)),
    )
    return render(root, declaration=DECL_PLAIN)


def line_times_xml(m: Meta, lines: int) -> bytes:
    """``*.rpb.aux.xml``: the L0 line timing (``l0DataMeta``) — invented layout with the documented fields."""
    step = (m.end - m.start) / max(1, lines)
    rows = [
        group("line", leaf("index", str(i)), leaf("time", (m.start + step * i + timedelta(hours=8)).isoformat()[:26]))
        for i in range(0, lines, max(1, lines // 16))
    ]
    root = group(
        "l0DataMeta",
        leaf("startTime", (m.start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S.%f")),
        leaf("startLine", "0"),
        leaf("totalLines", str(lines)),
        leaf("lineTimeInterval", f"{step.total_seconds():.9f}"),
        group("lineTimes", *rows),
    )
    return render(root, declaration=DECL_PLAIN)


def gcp_text(points: Sequence[tuple[float, float, float, float, float]], rms: float) -> bytes:
    """``*.rpb.gcp``: ``<count> <value>`` then ``line sample lon lat height`` rows (§5)."""
    rows = [f"{len(points)} {rms:.6f}"]
    rows += [f"{line:.1f} {samp:.1f} {lon:.8f} {lat:.8f} {h:.1f}" for line, samp, lon, lat, h in points]
    return ("\n".join(rows) + "\n").encode("ascii")
