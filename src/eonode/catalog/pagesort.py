"""Choosing one page from candidate rows in Python, with exactly the SQL order and keyset rules.

Used when a backend already holds every matching row (with its sort values) after an exact
spatial test: sorting a few thousand tuples here is cheaper than asking the database again.
The order is the one ``sqlsearch.order_by`` gives SQL: each key ascending or descending with
nulls last, then the row key ``skey`` in the direction of the first sort key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eonode.catalog.pagination import PageToken

Row = tuple[Any, ...]  # (skey, pk, sort value 0, sort value 1, ...)


def _ordered(rows: list[Row], descending: Sequence[bool]) -> list[Row]:
    """Stable multi-pass sort: the last key first, the first key last."""
    out = sorted(rows, key=lambda r: r[0], reverse=descending[0])
    for i in reversed(range(len(descending))):
        col = 2 + i
        if descending[i]:
            out.sort(key=lambda r: (r[col] is not None, 0 if r[col] is None else r[col]), reverse=True)
        else:
            out.sort(key=lambda r: (r[col] is None, 0 if r[col] is None else r[col]))
    return out


def _numeric_page(rows: list[Row], descending: Sequence[bool], token: PageToken | None, limit: int) -> list[Row]:
    """The same page for rows whose sort values are all numbers (no nulls), with numpy."""
    backward = token is not None and token.direction == "prev"
    walk_desc = [d != backward for d in descending]
    columns = [np.fromiter((r[2 + i] for r in rows), dtype=np.float64, count=len(rows)) for i in range(len(descending))]
    keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    signed = [-c if d else c for c, d in zip(columns, walk_desc, strict=True)]  # ascending in walk order
    skey_desc = walk_desc[0]
    if token is not None:
        after = np.zeros(len(rows), dtype=bool)
        tie = np.ones(len(rows), dtype=bool)
        for col, value, desc in zip(signed, token.values, walk_desc, strict=True):
            v = -float(value) if desc else float(value)
            after |= tie & (col > v)
            tie &= col == v
        after |= tie & ((keys < token.key) if skey_desc else (keys > token.key))
        idx = np.flatnonzero(after)
    else:
        idx = np.arange(len(rows))
    skey_order = -keys[idx] if skey_desc else keys[idx]
    order = np.lexsort([skey_order, *[c[idx] for c in reversed(signed)]])
    return [rows[int(i)] for i in idx[order[: limit + 1]]]


def select_page(rows: list[Row], descending: Sequence[bool], token: PageToken | None, limit: int) -> list[Row]:
    """Up to ``limit + 1`` rows in walk order (reversed for a ``prev`` token), like the SQL page."""
    if (
        rows
        and all(
            isinstance(r[2 + i], int | float) and not isinstance(r[2 + i], bool)
            for r in rows
            for i in range(len(descending))
        )
        and (token is None or all(isinstance(v, int | float) for v in token.values))
    ):
        return _numeric_page(rows, descending, token, limit)
    return _generic_page(rows, descending, token, limit)


def _generic_page(rows: list[Row], descending: Sequence[bool], token: PageToken | None, limit: int) -> list[Row]:
    if token is None:
        return _ordered(rows, descending)[: limit + 1]
    sentinel: Row = (token.key, None, *token.values)
    ordered = _ordered([*rows, sentinel], descending)
    at = next(i for i, r in enumerate(ordered) if r is sentinel)
    if token.direction == "next":
        return [r for r in ordered[at + 1 :] if r[0] != token.key][: limit + 1]
    before = [r for r in ordered[:at] if r[0] != token.key]
    return before[::-1][: limit + 1]
