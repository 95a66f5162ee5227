from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eonode.errors import InvalidDatetime
from eonode.models.temporal import format_instant, from_micros, parse_instant, parse_interval, to_micros

VALID = [
    ("1985-04-12T23:20:50.52Z", datetime(1985, 4, 12, 23, 20, 50, 520000, UTC)),
    ("1996-12-19T16:39:57-08:00", datetime(1996, 12, 20, 0, 39, 57, tzinfo=UTC)),
    ("1985-04-12t23:20:50.000z", datetime(1985, 4, 12, 23, 20, 50, tzinfo=UTC)),
    ("2020-07-23T00:00:00.012345678Z", datetime(2020, 7, 23, 0, 0, 0, 12345, UTC)),
    ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, UTC)),  # leap second
    ("2024-05-01T11:00:00+08:00", datetime(2024, 5, 1, 3, 0, tzinfo=UTC)),  # Beijing time
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_instants(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1985-04-12",
        "1937-01-01T12:00:27.87+0100",
        "37-01-01T12:00:27.87Z",
        "1985-12-12T23:20:50.52",
        "21985-12-12T23:20:50.52Z",
        "1985-13-12T23:20:50.52Z",
        "1985-12-32T23:20:50.52Z",
        "1985-12-01T25:20:50.52Z",
        "1985-12-01T00:60:50.52Z",
        "1985-04-12T23:20:50.Z",
        "1985-04-12T23:20:50,52Z",
        "1990-12-31T23:59:61Z",
    ],
)
def test_invalid_instants(text: str) -> None:
    with pytest.raises(InvalidDatetime):
        parse_instant(text)


@pytest.mark.parametrize(
    "text",
    [
        "../1985-04-12T23:20:50.52Z",
        "1985-04-12T23:20:50.52Z/..",
        "/1985-04-12T23:20:50.52Z",
        "1985-04-12T23:20:50.52Z/",
        "1985-04-12T23:20:50.52Z/1986-04-12T23:20:50.52Z",
    ],
)
def test_valid_intervals(text: str) -> None:
    interval = parse_interval(text)
    assert interval.start is not None or interval.end is not None


@pytest.mark.parametrize(
    "text", ["/", "../..", "/..", "../", "a/b/c", "1986-04-12T23:20:50.52Z/1985-04-12T23:20:50.52Z"]
)
def test_invalid_intervals(text: str) -> None:
    with pytest.raises(InvalidDatetime):
        parse_interval(text)


def test_formatting_and_micros_roundtrip() -> None:
    value = datetime(2024, 5, 1, 3, 0, 0, 120000, UTC)
    assert format_instant(value) == "2024-05-01T03:00:00.120000Z"
    assert format_instant(value.replace(microsecond=0)) == "2024-05-01T03:00:00Z"
    assert from_micros(to_micros(value)) == value
    assert to_micros(datetime(1960, 1, 1, tzinfo=UTC)) < 0
