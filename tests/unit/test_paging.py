from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest

from eonode.catalog.pagesort import select_page
from eonode.catalog.pagination import PageToken, decode, encode
from eonode.errors import InvalidToken


def test_token_roundtrip() -> None:
    token = PageToken("next", (datetime(2024, 1, 1, tzinfo=UTC), None, 3.5, "x"), 12345678901)
    assert decode(encode(token), 4) == token
    with pytest.raises(InvalidToken):
        decode(encode(token), 2)
    for bad in ("", "!!!", "e30", encode(token)[:-3]):
        with pytest.raises(InvalidToken):
            decode(bad, 4)


def _walk(rows: list[tuple], descending: list[bool], limit: int) -> list[tuple]:
    out: list[tuple] = []
    token = None
    while True:
        page = select_page(rows, descending, token, limit)
        out += page[:limit]
        if len(page) <= limit:
            return out
        last = page[limit - 1]
        token = PageToken("next", tuple(last[2:]), last[0])


@pytest.mark.parametrize("descending", [[True], [False], [False, True], [True, False]])
def test_python_pages_follow_sql_order(descending: list[bool]) -> None:
    rng = random.Random(4)
    rows = [(k, k, rng.choice([None, 1.0, 2.0, 3.0]), rng.choice(["a", "b"])) for k in range(200)]
    rows = [r[: 2 + len(descending)] for r in rows]
    walked = _walk(rows, descending, 7)
    assert sorted(r[0] for r in walked) == list(range(200))
    for a, b in itertools.pairwise(walked):
        for i, desc in enumerate(descending):
            va, vb = a[2 + i], b[2 + i]
            if va == vb:
                continue
            assert vb is None or (va is not None and ((va > vb) if desc else (va < vb)))  # nulls last
            break
        else:
            assert (a[0] > b[0]) if descending[0] else (a[0] < b[0])


def test_prev_walks_back() -> None:
    rows = [(k, k, float(k % 10)) for k in range(50)]
    first = select_page(rows, [False], None, 5)
    second = select_page(rows, [False], PageToken("next", (first[4][2],), first[4][0]), 5)
    back = select_page(rows, [False], PageToken("prev", (second[0][2],), second[0][0]), 5)
    assert list(reversed(back[:5])) == first[:5]


@pytest.mark.parametrize("descending", [[True], [False], [True, False], [False, False]])
def test_numeric_fast_path_agrees_with_the_general_one(descending: list[bool]) -> None:
    from eonode.catalog.pagesort import _generic_page, _numeric_page

    rng = random.Random(9)
    rows = [(rng.randrange(1 << 62), k, float(rng.randrange(5)), rng.randrange(3)) for k in range(300)]
    rows = [r[: 2 + len(descending)] for r in rows]
    tokens = [None]
    for r in rows[:20]:
        tokens += [PageToken("next", tuple(r[2:]), r[0]), PageToken("prev", tuple(r[2:]), r[0])]
    for token in tokens:
        assert _numeric_page(rows, descending, token, 9) == _generic_page(rows, descending, token, 9)
