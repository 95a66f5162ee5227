"""The catalogue store contract. Every backend passes the same suite (``catalog/testing.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from eonode.catalog.documents import PreparedItem
from eonode.models.search import SearchQuery

Doc = dict[str, Any]
EventKind = Literal["collection", "item"]
EventOp = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One numbered change. ``body`` is the object's current document when this event is its
    latest change; it is ``None`` for deletions (tombstones) and for events a later one
    supersedes (the later event carries the newer document)."""

    seq: int
    at: datetime
    kind: EventKind
    op: EventOp
    collection: str
    item_id: str | None
    etag: str | None
    body: Doc | None

    @property
    def superseded(self) -> bool:
        return self.op != "delete" and self.body is None


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[Doc]
    number_matched: int
    next_token: str | None
    prev_token: str | None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a single write did: ``op`` is None when the document was already stored as is."""

    doc: Doc
    etag: str
    op: EventOp | None
    seq: int | None


@dataclass(slots=True)
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    @property
    def written(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True, slots=True)
class StoredItem:
    doc: Doc
    etag: str
    updated: datetime


CommitListener = Callable[[int], None]


class CatalogStore(ABC):
    """Collections, items, search and the change feed of one node."""

    # -- lifecycle ------------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(last_seq)`` after every commit made through this store object."""
        self._listeners().append(listener)

    @abstractmethod
    def _listeners(self) -> list[CommitListener]: ...

    # -- collections ----------------------------------------------------------------------------
    @abstractmethod
    def list_collections(self) -> list[Doc]: ...

    @abstractmethod
    def get_collection(self, collection_id: str) -> Doc: ...

    def collection_ids(self) -> list[str]:
        """The ids of all collections, in order (cheaper than their documents)."""
        return [c["id"] for c in self.list_collections()]

    @abstractmethod
    def create_collection(self, doc: Doc) -> WriteResult:
        """Add a new collection; AlreadyExists if the id is taken."""

    @abstractmethod
    def put_collection(self, doc: Doc, *, must_exist: bool = False, if_match: str | None = None) -> WriteResult:
        """Create or replace a collection (``must_exist``: replace only)."""

    @abstractmethod
    def delete_collection(self, collection_id: str) -> int:
        """Delete a collection and all its items (one tombstone each); returns the last seq."""

    @abstractmethod
    def item_count(self, collection_id: str | None = None) -> int: ...

    # -- items ----------------------------------------------------------------------------------
    @abstractmethod
    def get_item(self, collection_id: str, item_id: str) -> StoredItem: ...

    @abstractmethod
    def create_item(self, doc: Doc, collection_id: str | None = None) -> WriteResult:
        """Add a new item; AlreadyExists if it is there."""

    @abstractmethod
    def put_item(
        self, doc: Doc, collection_id: str | None = None, *, must_exist: bool = False, if_match: str | None = None
    ) -> WriteResult:
        """Create or replace an item. Storing an identical document is a no-op (no event)."""

    @abstractmethod
    def delete_item(self, collection_id: str, item_id: str, *, if_match: str | None = None) -> int:
        """Delete an item (leaving a tombstone); returns its seq."""

    @abstractmethod
    def upsert_items(self, docs: Iterable[Doc | PreparedItem], *, batch_size: int = 1000) -> LoadReport:
        """Bulk create-or-replace; invalid documents are reported, never half-written.
        Items may come already checked (``PreparedItem``, e.g. from worker processes)."""

    # -- search and feed ------------------------------------------------------------------------
    @abstractmethod
    def search(self, query: SearchQuery) -> SearchPage: ...

    @abstractmethod
    def changes_since(self, seq: int, limit: int = 1000) -> list[ChangeEvent]:
        """Events with sequence number > ``seq``, in order, at most ``limit``."""

    @abstractmethod
    def last_seq(self) -> int: ...

    def analyze(self) -> None:  # noqa: B027 - optional for a backend
        """Refresh the query planner's statistics (after a bulk load)."""

    @abstractmethod
    def queryable_summaries(
        self, collection_id: str | None = None, *, within: Collection[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Extra queryables (JSON Schema per property) drawn from collection summaries
        (of ``collection_id``, or of every collection, or of those in ``within``)."""
