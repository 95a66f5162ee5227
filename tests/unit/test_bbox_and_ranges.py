from __future__ import annotations

import pytest

from eonode.api.ranges import parse_range
from eonode.errors import InvalidBbox, RangeNotSatisfiable
from eonode.models.geometry import Bbox


def test_bbox_parsing() -> None:
    assert Bbox.parse("100, 20, 120,40").as_list() == [100, 20, 120, 40]
    assert Bbox.from_values([1, 2, 0, 3, 4, 99]).as_list() == [1, 2, 3, 4]
    crossing = Bbox.parse("170,-10,-170,10")
    assert crossing.crosses_antimeridian
    assert crossing.parts() == [(170, -10, 180, 10), (-180, -10, -170, 10)]
    assert crossing.to_geometry().area == pytest.approx(400)


@pytest.mark.parametrize(
    "text", ["1,2,3", "1,2,3,4,5", "a,b,c,d", "0,50,10,40", "0,-91,1,1", "-181,0,0,1", "nan,0,1,1", "inf,0,1,1"]
)
def test_bad_bboxes(text: str) -> None:
    with pytest.raises(InvalidBbox):
        Bbox.parse(text)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-1000", (90, 99)),
        ("bytes=0-0", (0, 0)),
        ("bytes=5-2", None),
        ("items=0-1", None),
        ("bytes=0-1,4-5", None),
        ("bytes=x-y", None),
        ("bytes=-200", (0, 99)),
    ],
)
def test_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


def test_unsatisfiable_ranges() -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=100-", 100)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=-0", 100)
