"""Choosing one page from candidate rows in Python, with exactly the SQL order and keyset rules.

Used when a backend already holds every matching row (with its sort values) after an exact
spatial test: sorting a few thousand tuples here is cheaper than asking the database again.
The order is the one ``sqlsearch.order_by`` gives SQL: each key ascending or descending with
nulls last, then the row key ``skey`` in the direction of the first sort key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def select_page(rows: list[Row], descending: Sequence[bool], token: PageToken | None, limit: int) -> list[Row]:
    """Up to ``limit + 1`` rows in walk order (reversed for a ``prev`` token), like the SQL page."""
    if token is None:
        return _ordered(rows, descending)[: limit + 1]
    sentinel: Row = (token.key, None, *token.values)
    ordered = _ordered([*rows, sentinel], descending)
    at = next(i for i, r in enumerate(ordered) if r is sentinel)
    if token.direction == "next":
        return [r for r in ordered[at + 1 :] if r[0] != token.key][: limit + 1]
    before = [r for r in ordered[:at] if r[0] != token.key]
    return before[::-1][: limit + 1]
