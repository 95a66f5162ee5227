"""What a parent node sends one child node, and on which terms: the agreement.

A child node is a subscriber (design, core idea 4). Its territory, collections, processing levels
and cloud limit form a saved :class:`~eonode.models.search.SearchQuery`, tested by the same
:class:`~eonode.subscriptions.matcher.Matcher` as users' subscriptions — so "what does this child
get?" is also a search anyone can run against the parent. The other terms say *when* and *how*,
not *what*: an embargo delays each item after it was catalogued, ``mode`` says whether bytes
follow the metadata, and priority, bandwidth cap and transfer windows pace the copying
(``federation/pacing.py`` reads the windows).

The model is the agreement's JSON form in the API and the database; :meth:`Agreement.parse`
turns any invalid input into one 400 naming each bad field.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from shapely.geometry.base import BaseGeometry

from eonode.catalog.documents import check_id
from eonode.errors import EonodeError, InvalidParameter, InvalidStac
from eonode.federation.pacing import TransferWindows
from eonode.geo import countries
from eonode.models.geometry import parse_geometry
from eonode.models.search import SearchQuery
from eonode.models.temporal import from_micros
from eonode.subscriptions.matcher import Matcher
from eonode.subscriptions.rows import Item, micros, properties, time_span

Mode = Literal["metadata", "full", "on_demand"]
Change = Literal["enter", "update", "leave"]
LEVEL = "processing:level"  # the promoted property search indexes levels under
CLOUD = "eo:cloud_cover"


class Agreement(BaseModel):
    """The per-child agreement a parent keeps. Leaving a scope field out means "no limit"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    territory: dict[str, Any] | tuple[str, ...] | None = Field(
        None, description="A GeoJSON geometry (split at ±180°) or ISO 3166-1 country codes; none: everywhere"
    )
    collections: tuple[str, ...] | None = Field(None, description="Collection ids; none: every collection")
    levels: tuple[str, ...] | None = Field(None, description=f"Values of {LEVEL}; none: every level")
    max_cloud_cover: float | None = Field(None, description="Percent; items whose cloud cover is unknown are included")
    embargo: timedelta = Field(timedelta(0), description="Delay after an item is catalogued before it is sent")
    mode: Mode = Field("full", description="metadata only, full copies, or metadata with bytes on demand")
    priority: int = Field(0, description="Higher is served first when children compete for the parent")
    bandwidth_limit: int | None = Field(None, description="Bytes per second; none: no cap")
    transfer_windows: tuple[str, ...] = Field((), description='Times of day bytes may move, "HH:MM-HH:MM"')
    timezone: str = Field("UTC", description="IANA time zone of the transfer windows")

    # -- validation -----------------------------------------------------------------------------
    @field_validator("territory", mode="before")
    @classmethod
    def _territory(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            try:
                parse_geometry(value)
            except EonodeError as exc:
                raise ValueError(f"{exc.description} (split a territory that crosses ±180° into parts)") from None
            return value
        if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
            raise ValueError('give a GeoJSON geometry or a list of country codes, e.g. ["CN", "MN"]')
        if not value:
            raise ValueError("the list of country codes is empty; leave territory out for everywhere")
        codes, unknown = [], []
        for code in value:
            try:
                codes.append(countries.country(code).code)
            except InvalidParameter:
                unknown.append(code)
        if unknown:
            raise ValueError(
                f"unknown country code{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
                "use ISO 3166-1 alpha-2 or alpha-3 codes, e.g. CN or CHN"
            )
        return tuple(dict.fromkeys(codes))

    @field_validator("collections", mode="before")
    @classmethod
    def _collections(cls, value: Any) -> Any:
        if value is None:
            return None
        names = _names(value, "collection ids", "collections")
        for name in names:
            try:
                check_id(name, "collection")
            except InvalidStac as exc:
                raise ValueError(exc.description) from None
        return names

    @field_validator("levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        return None if value is None else _names(value, "processing levels (e.g. L1A, L2A)", "levels")

    @field_validator("max_cloud_cover", mode="before")
    @classmethod
    def _cloud(cls, value: Any) -> Any:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100
        ):
            raise ValueError(f"max_cloud_cover is a percentage between 0 and 100, not {value!r}")
        return value

    @field_validator("embargo")
    @classmethod
    def _embargo(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("the embargo must not be negative")
        return value

    @field_validator("bandwidth_limit")
    @classmethod
    def _bandwidth(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("bandwidth_limit is in bytes per second and must be positive; leave it out for no cap")
        return value

    @field_validator("transfer_windows")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            if "," in window:
                raise ValueError(f"one window per entry: split {window!r} into several")
            TransferWindows.parse(window)  # raises ValueError naming the window
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai or UTC)") from None
        return value

    @classmethod
    def parse(cls, data: Mapping[str, Any] | str | bytes) -> Agreement:
        """An agreement from its JSON form (object, or JSON text); InvalidParameter names each bad field."""
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'agreement'}: {str(e['msg']).removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
            raise InvalidParameter(f"invalid agreement: {'; '.join(problems)}") from None

    # -- the saved query ------------------------------------------------------------------------
    def territory_geometry(self) -> BaseGeometry | None:
        """The territory as one geometry (country outlines are already split at ±180°)."""
        if self.territory is None:
            return None
        if isinstance(self.territory, dict):
            return parse_geometry(self.territory)
        return _countries(self.territory)

    def query(self) -> SearchQuery:
        """What the child receives, as a search: the same answer the child's matcher gives."""
        parts: list[dict[str, Any]] = []
        if self.levels:
            parts.append({"op": "in", "args": [{"property": LEVEL}, list(self.levels)]})
        if self.max_cloud_cover is not None:
            unknown = {"op": "isNull", "args": [{"property": CLOUD}]}
            clear = {"op": "<=", "args": [{"property": CLOUD}, self.max_cloud_cover]}
            parts.append({"op": "or", "args": [unknown, clear]})
        flt = None if not parts else parts[0] if len(parts) == 1 else {"op": "and", "args": parts}
        return SearchQuery(collections=self.collections, intersects=self.territory_geometry(), filter=flt)

    def matcher(self) -> Matcher:
        """The child's matcher, built once per agreement object (territories can be large).

        Kept beside the model, not in it: a cached value inside a pydantic model would survive
        ``model_copy(update=...)``, break pickling and take part in equality."""
        found = _MATCHERS.get(id(self))
        if found is None:
            found = _MATCHERS[id(self)] = Matcher(self.query())
            weakref.finalize(self, _MATCHERS.pop, id(self), None)
        return found

    def transfer_schedule(self) -> TransferWindows | None:
        """The transfer windows, ready for pacing; None when bytes may move at any time."""
        return TransferWindows.parse(",".join(self.transfer_windows), self.timezone) if self.transfer_windows else None

    # -- per item -------------------------------------------------------------------------------
    def eligible_at(self, item: Item, ingested: datetime | None = None) -> datetime:
        """When the item may be sent to the child: ``embargo`` after it was catalogued.

        The embargo runs from the item's ``created`` property (STAC common metadata) if it has
        one, else from ``ingested`` — when the parent catalogued it, which the feed knows from
        the item's first event — else from the end of its acquisition, the earliest it can have
        been catalogued (so an embargo counted from it can only be shorter than agreed).
        """
        start = micros(properties(item).get("created"))
        if start is None and ingested is not None:
            return _aware(ingested, "ingested").astimezone(UTC) + self.embargo
        if start is None:
            span = time_span(item)
            if span is None:
                raise InvalidStac(f"item {item.get('id')!r} has no time to count an embargo from")
            start = span[1]
        return from_micros(start) + self.embargo

    def in_scope(self, item: Item, now: datetime, ingested: datetime | None = None) -> bool:
        """Whether the child should hold the item at ``now``: it matches and its embargo is over."""
        if not self.matcher().matches(item):
            return False
        return not self.embargo or self.eligible_at(item, ingested) <= _aware(now, "now")

    def classify(self, previous: Item | None, current: Item | None) -> Change | None:
        """What a change of one item (either side None: created, deleted) means for the child.

        ``enter``: it now matches; ``update``: it matched and still does; ``leave``: it matched
        and no longer does or was deleted — the child deletes it (a tombstone); None: nothing
        for this child. The answer depends on the two documents only, never on the clock, so
        reading the feed again from a cursor gives the same events; the embargo decides when a
        change is sent (:meth:`release_at`), not what it is.
        """
        before = previous is not None and self.matcher().matches(previous)
        after = current is not None and self.matcher().matches(current)
        if after:
            return "update" if before else "enter"
        return "leave" if before else None

    def release_at(
        self, previous: Item | None, current: Item | None, ingested: datetime | None = None
    ) -> datetime | None:
        """When the change may be sent: once the item it concerns is eligible — for a leave, the
        previous version, so that a leave never overtakes its enter. None: at once (no embargo),
        or nothing to send."""
        change = self.classify(previous, current)
        doc = current if change in ("enter", "update") else previous
        if change is None or doc is None or not self.embargo:
            return None
        return self.eligible_at(doc, ingested)


_MATCHERS: dict[int, Matcher] = {}  # by id() of a live (frozen) agreement


@lru_cache(maxsize=64)
def _countries(codes: tuple[str, ...]) -> BaseGeometry:
    return countries.territory(codes)


def _names(value: Any, what: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"give a list of {what}")
    if not value:
        raise ValueError(f"the list is empty; leave {field} out for no limit")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value
