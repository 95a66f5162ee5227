"""HY-1C/HY-1D ocean-colour granules: ``<base>.h5`` + ``<base>.meta.xml`` + ``<base>.jpg`` + ``<base>_thumb.jpg``.

Names (§2.11): ``H1C_OPER_OCT_L1B_<start>_<end>_<orbit5>_10`` for COCTS (5-minute granules) and
``H1C_OPER_CZI_L1B_<start>_<orbit5>_10`` for CZI (one time only, as the real example). HY-1C for
even indexes, HY-1D (``H1D_``, 13:30 ascending instead of 10:30 descending) for odd ones. The
``.h5`` is a real HDF5 file (NetCDF-4 written by GDAL) with one ``radiance(wavelength, lat, lon)``
variable on a lat/lon grid. The metadata is the nested ``ProductMetaData`` of §4.4 with UTC times;
corner leaves are ``Latitude``/``Longitude`` for COCTS and ``TopLeft_Latitude``… for CZI (the two
readers the doc cites disagree; the CZI one is a CZI reader).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from eonode.demo import pkg_raster as raster
from eonode.demo.pkg_geo import Footprint, cloud_percent, day_between, quad, sea_point, solar_time, track_heading
from eonode.demo.pkg_model import Built, Ctx
from eonode.demo.pkg_optical import BROWSE_SIDE, THUMB_SIDE
from eonode.demo.pkg_xml import DECL_PLAIN, El, group, leaf, render
from eonode.demo.synthetic import END

COCTS_NM: tuple[int, ...] = (412, 443, 490, 520, 565, 670, 750, 865, 10800, 12000)
CZI_NM: tuple[int, ...] = (460, 560, 650, 825)
LAUNCH = {"H1C": date(2018, 9, 7), "H1D": date(2020, 6, 11)}


def _ocean(rng: np.random.Generator, wavelengths: tuple[int, ...], height: int, width: int, cloud: int) -> np.ndarray:
    """Dark water radiances falling with wavelength, warm thermal bands, bright cloud blobs (uint16 counts)."""
    texture = raster.field(rng, height, width, 6, 5.0)
    cover = cloud if cloud <= 100 else 20
    cf = raster.field(rng, height, width, 6, 4.0)
    thr = np.quantile(cf, 1.0 - cover / 100.0) if 0 < cover < 100 else (cf.min() - 1 if cover else cf.max() + 1)
    alpha = np.clip((cf - thr) / 0.3, 0.0, 1.0)
    bands = []
    for nm in wavelengths:
        base = 620.0 if nm > 5000 else 420.0 * (412.0 / nm) ** 2.2 + 20.0
        value = base * (1.0 + 0.05 * texture)
        cold = 360.0 if nm > 5000 else 900.0
        bands.append(value * (1.0 - alpha) + cold * alpha)
    out: np.ndarray = np.clip(np.stack(bands), 1, 1023).astype(np.uint16)
    return out


def _corner(tag: str, lon: float, lat: float, prefixed: bool) -> El:
    if prefixed:
        return group(tag, leaf(f"{tag}_Longitude", f"{lon:.6f}"), leaf(f"{tag}_Latitude", f"{lat:.6f}"))
    return group(tag, leaf("Latitude", f"{lat:.6f}"), leaf("Longitude", f"{lon:.6f}"))


def _meta(
    *,
    sat: str,
    sensor: str,
    orbit: int,
    name: str,
    fp: Footprint,
    start: datetime,
    end: datetime,
    produced: datetime,
    cloud: int,
    resolution: int,
    size_mb: float,
    czi: bool,
    scene_id: int,
    station: str,
) -> bytes:
    fmt = "%Y-%m-%d %H:%M:%S"
    centre = start + (end - start) / 2
    lon, lat = fp.centre
    corners = zip(("TopLeft", "TopRight", "BottomRight", "BottomLeft"), fp.corners, strict=True)
    root = group(
        "ProductMetaData",
        leaf("SatelliteID", sat.replace("H1", "HY1")),
        leaf("SensorID", sensor),
        leaf("OrbitID", f"{orbit:05d}"),
        leaf("ReceiveStation", station),
        leaf("SceneID", str(scene_id)),
        leaf("ProductName", name),
        leaf("TimeType", "UTC"),
        leaf("ProductUnit", "NSOAS"),
        leaf("ContactInfo", "National Satellite Ocean Application Service"),
        group(
            "SatelliteInfo",
            leaf("OrbitFlag", "A" if sat == "H1D" else "D"),
            leaf("WorkMode", "Normal"),
            leaf("SatOffNadir", "0.000000"),
        ),
        group("QualityInfo", leaf("ProductIntegrity", "100"), leaf("CloudPercent", str(cloud))),
        group(
            "ProductInfo",
            leaf("ProductLevel", "L1B"),
            leaf("ProductFormat", "HDF5"),
            leaf("ProductVersion", "10"),
            leaf("SoftwareName", f"{sensor}_L1B_PROC"),
            leaf("SoftwareVersion", "2.3.1"),
            leaf("SourseData", name.replace("_L1B_", "_L1A_")),
            leaf("ProduceTime", produced.strftime(fmt)),
            leaf("SpatialResolution", str(resolution)),
        ),
        group("CorrectionParams", leaf("EarthEllipsoid", "WGS84"), leaf("ProjectType", "GLL")),
        group(
            "ImageInfo",
            leaf("StartTime", start.strftime(fmt)),
            leaf("EndTime", end.strftime(fmt)),
            leaf("CentreTime", centre.strftime(fmt)),
            leaf("DataSize", f"{size_mb:.2f}"),
            leaf("DataUnit", "MB"),
            group("CentreLocation", leaf("CenterLongitude", f"{lon:.6f}"), leaf("CenterLatitude", f"{lat:.6f}")),
            group("Corners", *(_corner(tag, c[0], c[1], czi) for tag, c in corners)),
        ),
    )
    return render(root, declaration=DECL_PLAIN)


def _granule(ctx: Ctx, czi: bool) -> Built:
    sat = "H1C" if ctx.index % 2 == 0 else "H1D"
    rng = ctx.rng("shot")
    lon, lat = sea_point(rng)
    lat = max(-40.0, min(40.0, lat))
    day = day_between(rng, LAUNCH[sat] + timedelta(days=30), END)
    when = solar_time(day, lon, 13.5 if sat == "H1D" else 10.5, rng)
    if czi:
        start = when.replace(second=0, microsecond=0)
        end = start + timedelta(minutes=1)
        swath, length, wavelengths, resolution, code, sensor = 950.0, 410.0, CZI_NM, 50, "CZI", "CZI"
    else:
        start = when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)
        end = start + timedelta(minutes=5)
        swath, length, wavelengths, resolution, code, sensor = 2900.0, 2040.0, COCTS_NM, 1100, "OCT", "COCTS"
    centre = start + (end - start) / 2
    fp = quad(lon, lat, swath, length, track_heading(lat, rng), flip=sat == "H1D")
    orbit = int((day - LAUNCH[sat]).days * 14.3) + rng.randrange(14)
    times = f"{start:%Y%m%dT%H%M%S}" if czi else f"{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}"
    name = f"{sat}_OPER_{code}_L1B_{times}_{orbit:05d}_10"
    produced = end + timedelta(hours=rng.uniform(0.5, 6.0))
    built = Built(name, produced)
    cloud = cloud_percent(rng, wet=1.6)
    width = 128
    height = max(16, round(width * length / swath))
    arr = _ocean(ctx.nprng("granule"), wavelengths, height, width, cloud)
    band_tags = [{"NETCDF_VARNAME": "radiance", "NETCDF_DIM_wavelength": str(nm)} for nm in wavelengths]
    for tags in band_tags:
        tags.update(long_name="top-of-atmosphere radiance (counts)", units="1")
    tags = {
        "NETCDF_DIM_EXTRA": "{wavelength}",
        "NETCDF_DIM_wavelength_DEF": f"{{{len(wavelengths)},4}}",
        "NETCDF_DIM_wavelength_VALUES": "{" + ",".join(map(str, wavelengths)) + "}",
        "title": f"{sat.replace('H1', 'HY-1')} {sensor} L1B",
        "product_name": name,
        "time_coverage_start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_coverage_end": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    h5 = raster.netcdf4(arr, fp.bbox, ctx.scratch, tags=tags, band_tags=band_tags)
    built.add(f"{name}.h5", h5)
    meta = _meta(
        sat=sat,
        sensor=sensor,
        orbit=orbit,
        name=name,
        fp=fp,
        start=start,
        end=end,
        produced=produced,
        cloud=cloud,
        resolution=resolution,
        size_mb=len(h5) / 1e6 * 900.0,
        czi=czi,
        scene_id=int(orbit * 100 + centre.minute),
        station=rng.choice(("BJ", "SY", "MDJ", "HZ")),
    )
    built.add(f"{name}.meta.xml", meta)
    if ctx.quicklooks:
        rgb = (5, 4, 2) if not czi else (2, 1, 0)
        built.add(f"{name}.jpg", raster.jpeg(raster.quicklook(arr, BROWSE_SIDE, rgb), fp.bbox), quicklook=True)
        built.add(f"{name}_thumb.jpg", raster.jpeg(raster.quicklook(arr, THUMB_SIDE, rgb), fp.bbox), quicklook=True)
    return built


def hy1_cocts(ctx: Ctx) -> Built:
    return _granule(ctx, czi=False)


def hy1_czi(ctx: Ctx) -> Built:
    return _granule(ctx, czi=True)
