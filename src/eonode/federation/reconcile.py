"""Reconciliation: a periodic comparison of what a child holds with what its parent would have
sent it, so that a lost event, a restored backup or a damaged disk can never leave a permanent
hole.

Both sides summarise items per collection and acquisition day as a count and a digest of the
sorted ``id:version`` lines, where the version is the parent's etag (a child records it on each
copy as ``eonode:upstream``). Only the buckets whose digests differ are listed item by item, and
only the items that differ are fetched again or deleted. Copied bytes are checked too, a few items
per round: a blob that no longer hashes to its address is dropped and fetched again.

A round is postponed while the child is catching up (reading its parent's feed in pages, more than
``CATCH_UP_BEHIND`` events behind): the comparison would list as missing what the feed is about to
bring, and fetch it item by item. A round that finds the child catching up when it starts, or
between two buckets, stops there and says so in its report; the follower tries again soon.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eonode.catalog.documents import etag_of
from eonode.catalog.store import CatalogStore
from eonode.federation.agreement import Agreement
from eonode.models.search import SearchQuery
from eonode.storage.store import blob_digest

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

log = logging.getLogger("eonode.federation")
UPSTREAM = "eonode:upstream"  # the parent's version of a copied item
Buckets = dict[str, dict[str, dict[str, Any]]]  # collection -> day -> {"count", "digest"}
Entry = tuple[str, str, str, str]  # collection, day, item id, the parent's version


def day_of(item: dict[str, Any]) -> str:
    props = item.get("properties", {})
    when = props.get("datetime") or props.get("start_datetime") or ""
    return str(when)[:10]


def summarise(entries: Iterator[Entry]) -> Buckets:
    """(collection, day, id, version) → per collection and day: count and digest."""
    lines: dict[tuple[str, str], list[str]] = {}
    for collection, day, item_id, version in entries:
        lines.setdefault((collection, day), []).append(f"{item_id}:{version}")
    out: Buckets = {}
    for (collection, day), bucket in sorted(lines.items()):
        digest = hashlib.sha256("\n".join(sorted(bucket)).encode()).hexdigest()
        out.setdefault(collection, {})[day] = {"count": len(bucket), "digest": digest}
    return out


def _all(catalog: CatalogStore, query: SearchQuery) -> Iterator[dict[str, Any]]:
    page = catalog.search(replace(query, limit=1000))
    while True:
        yield from page.items
        if page.next_token is None:
            return
        page = catalog.search(replace(query, limit=1000).with_token(page.next_token))


def parent_entries(
    catalog: CatalogStore,
    agreement: Agreement,
    now: datetime,
    *,
    sees: Callable[[str], bool],
    collection: str | None = None,
    day: str | None = None,
) -> Iterator[Entry]:
    """What the child should hold now: items in its agreement (past their embargo) that it may see."""
    query = agreement.query()
    wanted = [c for c in (agreement.collections or catalog.collection_ids()) if sees(c)]
    if collection is not None:
        wanted = [c for c in wanted if c == collection]
    if not wanted:
        return
    for item in _all(catalog, replace(query, collections=tuple(wanted))):
        if day is not None and day_of(item) != day:
            continue
        if agreement.embargo:
            stored = catalog.get_item(item["collection"], item["id"])
            if agreement.eligible_at(item, ingested=stored.updated) > now:
                continue
        yield item["collection"], day_of(item), item["id"], etag_of(item)


def child_entries(catalog: CatalogStore, collection: str | None = None, day: str | None = None) -> Iterator[Entry]:
    """The copies this node holds (items carrying the parent's version)."""
    query = SearchQuery(collections=(collection,) if collection else None)
    for item in _all(catalog, query):
        version = item.get("properties", {}).get(UPSTREAM)
        if version is None or (day is not None and day_of(item) != day):
            continue
        yield item["collection"], day_of(item), item["id"], str(version)


@dataclass
class RoundReport:
    postponed: str | None = None  # why this round stopped before comparing everything
    buckets_checked: int = 0
    buckets_differing: int = 0
    fetched: int = 0
    deleted: int = 0
    blobs_checked: int = 0
    blobs_corrupt: int = 0
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _buckets(theirs: Buckets, ours: Buckets) -> Iterator[tuple[str, str]]:
    """(collection, day) of every bucket on either side, in order."""
    for collection in sorted(set(theirs) | set(ours)):
        for day in sorted(set(theirs.get(collection, {})) | set(ours.get(collection, {}))):
            yield collection, day


class Reconciler:
    """Run by a child: compares, then repairs through the follower's own apply."""

    def __init__(self, follower: Follower, *, verify_per_round: int = 20) -> None:
        self.follower = follower
        self.verify_per_round = verify_per_round
        self._verify_from = 0
        self.last: RoundReport | None = None  # the last round that ran to its end
        self.postponed: str | None = None  # why the latest round was postponed, until one runs again

    def busy(self) -> str | None:
        """Why a round should not run now, if it should not."""
        f = self.follower
        if f.stop_event.is_set():
            return "the node is stopping"
        if f.catching_up:
            return f"the node is catching up with its parent ({max(0, f.parent_last - f.cursor.seq)} events behind)"
        return None

    def run_once(self) -> RoundReport:
        """One round; its ``postponed`` says why it stopped before the end, if it did."""
        report = RoundReport()
        f = self.follower
        catalog = f.node.catalog
        report.postponed = self.busy()
        if report.postponed is None:
            with f.client(timeout=120.0, interruptible=True) as client:
                reply = client.get("/federation/inventory")
                reply.raise_for_status()
                theirs: Buckets = reply.json()["collections"]
                ours = summarise(child_entries(catalog))
                for collection, day in _buckets(theirs, ours):
                    report.postponed = self.busy()
                    if report.postponed is not None:
                        break
                    report.buckets_checked += 1
                    if theirs.get(collection, {}).get(day) == ours.get(collection, {}).get(day):
                        continue
                    report.buckets_differing += 1
                    listed = client.get("/federation/inventory", params={"collection": collection, "day": day})
                    listed.raise_for_status()
                    self._repair(client, collection, listed.json()["items"], report, day)
        if report.postponed is not None:
            log.info("reconciliation postponed: %s", report.postponed)
            self.postponed = report.postponed
            return report
        self._verify_blobs(report)
        self.last, self.postponed = report, None
        if report.fetched or report.deleted or report.blobs_corrupt:
            log.warning("reconciliation repaired: %s", report.public())
        return report

    def _repair(self, client: Any, collection: str, theirs: dict[str, str], report: RoundReport, day: str) -> None:
        """Fetch what is missing or outdated here (with the parent's version from its listing),
        delete copies the parent no longer has for this node."""
        f = self.follower
        mine = {item_id: version for _c, _d, item_id, version in child_entries(f.node.catalog, collection, day)}
        for item_id, version in theirs.items():
            if mine.get(item_id) == version:
                continue
            got = client.get(f"/collections/{collection}/items/{item_id}")
            if got.status_code == 404:
                continue  # deleted meanwhile: the feed brings the tombstone
            got.raise_for_status()
            event = {"kind": "item", "op": "put", "collection": collection, "item": item_id, "etag": version}
            f.apply({**event, "body": got.json()})
            report.fetched += 1
        for item_id in set(mine) - set(theirs):
            f.apply({"kind": "item", "op": "delete", "collection": collection, "item": item_id})
            report.deleted += 1

    def _verify_blobs(self, report: RoundReport) -> None:
        """Re-hash the bytes of a few copied items per round (in turn); a damaged blob is dropped
        and its asset pointed back at the parent, so the transfer loop fetches it again."""
        f = self.follower
        catalog, blobs = f.node.catalog, f.node.blobs
        query = SearchQuery(
            filter={"op": "=", "args": [{"property": "eonode:availability"}, "online"]},
            limit=self.verify_per_round,
            offset=self._verify_from,
        )
        items = catalog.search(query).items
        self._verify_from = 0 if len(items) < self.verify_per_round else self._verify_from + len(items)
        for item in items:
            if UPSTREAM not in item.get("properties", {}):
                continue  # not a copy from the parent
            for asset in item.get("assets", {}).values():
                sha = blob_digest(str(asset.get("href", "")))
                if sha is None:
                    continue
                report.blobs_checked += 1
                if blobs.verify(sha):
                    continue
                report.blobs_corrupt += 1
                f.error(f"the copy of {item['collection']}/{item['id']} is damaged (sha256 {sha}); fetching it again")
                blobs.delete(sha)
                f.repoint_to_parent(item)
