"""One matching engine for saved queries: user subscriptions and child nodes alike.

A :class:`Matcher` is a :class:`~eonode.models.search.SearchQuery` compiled once into a test of
one item document, so that the change feed can ask of every new or changed item "does this
subscriber want it?" without a database round trip. Its answer is, by contract, the one search
gives for the same query (``tests/subscriptions/test_matcher.py`` checks them against each other
on a real catalogue):

* collections and ids: exact membership;
* ``datetime``: the window overlaps the item's instant or start/end interval, ends inclusive;
* ``bbox``, ``intersects`` and top-level ``S_INTERSECTS`` of the filter: the footprint intersects
  each of them, exactly (shapely); a bbox with west > east is two boxes either side of ±180°;
* the rest of the filter: ``cql2eval.py``, with SQL's three-valued logic.

Sorting, paging and fields do not affect which items match and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import shapely

from eonode.catalog.cql2index import split_spatial
from eonode.models.search import SearchQuery
from eonode.models.temporal import to_micros
from eonode.subscriptions.cql2eval import compile_filter
from eonode.subscriptions.rows import Item, PreparedShape, Test, footprint, time_span


class Matcher:
    """A saved query, ready to test item documents (as the catalogue stores them).

    Building it validates the filter exactly as search does (``InvalidFilter`` for what search
    refuses). One matcher may be used from several threads at once.
    """

    __slots__ = ("_collections", "_filter", "_ids", "_shapes", "_window", "query")

    def __init__(self, query: SearchQuery) -> None:
        self.query = query
        self._collections = frozenset(query.collections) if query.collections else None
        self._ids = frozenset(query.ids) if query.ids else None
        self._window: tuple[int | None, int | None] | None = None
        if query.datetime is not None:
            start, end = query.datetime.start, query.datetime.end
            self._window = (None if start is None else to_micros(start), None if end is None else to_micros(end))
        shapes = []
        if query.bbox is not None:
            shapes.append(query.bbox.to_geometry())
        if query.intersects is not None:
            shapes.append(query.intersects)
        # as search does: top-level S_INTERSECTS terms join the area constraints, the rest is a filter
        filter_shapes, rest = split_spatial(query.filter)
        shapes.extend(filter_shapes)
        self._filter: Test | None = None if rest is None else compile_filter(rest)
        self._shapes = tuple(PreparedShape(g) for g in shapes)

    def __repr__(self) -> str:
        return f"Matcher({self.query!r})"

    def matches(self, item: Item) -> bool:
        """Whether search for this query would return the item (cheapest tests first)."""
        if self._collections is not None and item.get("collection") not in self._collections:
            return False
        if self._ids is not None and item.get("id") not in self._ids:
            return False
        if self._window is not None and not self._in_window(item):
            return False
        if self._filter is not None and self._filter(item) is not True:
            return False
        if self._shapes:
            fp = footprint(item)
            if fp is None:
                return False
            return all(shapely.intersects(shape.get(), fp) for shape in self._shapes)
        return True

    def select(self, items: Iterable[Item]) -> Iterator[Item]:
        """The items that match, in the order given."""
        return (item for item in items if self.matches(item))

    def _in_window(self, item: Item) -> bool:
        assert self._window is not None
        span = time_span(item)
        if span is None:
            return False
        start, end = self._window
        return (end is None or span[0] <= end) and (start is None or start <= span[1])
