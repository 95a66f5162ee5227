"""The shipped country outlines: complete, valid, named in both languages, usable as territories."""

from __future__ import annotations

import pytest
import shapely

from eonode.errors import InvalidParameter
from eonode.geo.countries import at, countries, country, geojson_bytes, territory


def test_every_outline_is_valid_and_inside_the_world() -> None:
    everything = countries()
    assert len(everything) >= 235
    assert len(geojson_bytes()) < 1024 * 1024  # small enough to send to a browser
    for c in everything.values():
        assert c.geometry.is_valid and not c.geometry.is_empty, c.code
        minx, miny, maxx, maxy = c.geometry.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90, c.code  # split at the antimeridian
        assert c.name_en and c.name_zh, c.code


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (116.40, 39.90, "CN"),  # Beijing
        (121.47, 31.23, "CN"),  # Shanghai
        (2.35, 48.86, "FR"),  # Paris
        (-47.93, -15.78, "BR"),  # Brasília
        (28.05, -26.20, "ZA"),  # Johannesburg
        (37.62, 55.75, "RU"),  # Moscow
        (-175.0, 66.0, "RU"),  # Chukotka, east of the antimeridian
        (178.0, -17.8, "FJ"),  # Viti Levu, near the antimeridian
        (149.13, -35.28, "AU"),  # Canberra
    ],
)
def test_points_fall_in_their_country(lon: float, lat: float, code: str) -> None:
    found = at(lon, lat)
    assert found is not None and found.code == code


def test_codes_and_names() -> None:
    china = country("chn")
    assert (china.code, china.alpha3, china.name_en, china.name("zh-CN")) == ("CN", "CHN", "China", "中国")
    assert country("BR").name("zh") == "巴西" and country("BR").name("en") == "Brazil"
    assert at(0.0, 0.0) is None  # the Gulf of Guinea
    with pytest.raises(InvalidParameter, match="not a country code"):
        country("XX")


def test_a_territory_is_the_union_of_its_countries() -> None:
    brics = territory(["BR", "RU", "IN", "CN", "ZA"])
    assert brics.contains(shapely.Point(116.4, 39.9)) and brics.contains(shapely.Point(28.05, -26.2))
    assert not brics.contains(shapely.Point(2.35, 48.86))
    assert brics.area == pytest.approx(sum(country(c).geometry.area for c in ("BR", "RU", "IN", "CN", "ZA")), rel=1e-3)
    with pytest.raises(InvalidParameter):
        territory([])
