"""A child's view of its parent's change feed: the parent's events, in order, kept to the
child's agreement (collections, territory, levels, cloud) and released after its embargo.

* A collection event is sent when the agreement names the collection (or names none).
* An item written in scope is sent with its document (asset links point at the parent).
* An item written out of scope, or deleted, becomes a tombstone for the child: the child deletes
  it if it holds it. The feed keeps no per-child memory, so it cannot tell whether the child ever
  held it; a tombstone names only the collection and the item id, of collections the child may
  see anyway.
* A change still under embargo stops the page there: the cursor stays before it and the reply
  says when to ask again. Events are numbered in catalogue order, so holding back one holds back
  the later ones too, which keeps the child's copy in the parent's order.

Reading again from any cursor gives the same events (the clock only decides how far a page goes).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eonode.catalog.store import CatalogStore
from eonode.federation.agreement import Agreement


@dataclass(slots=True)
class FeedPage:
    events: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0  # the last parent sequence number this page accounts for
    more: bool = False  # more events are already there
    release_at: datetime | None = None  # the next event waits for its embargo until then


def child_page(
    catalog: CatalogStore,
    agreement: Agreement,
    since: int,
    limit: int,
    now: datetime,
    *,
    sees: Callable[[str], bool],
    decorate: Callable[[dict[str, Any]], dict[str, Any]],
) -> FeedPage:
    """Up to ``limit`` events for the child after ``since``; ``sees`` is the child's access scope
    and ``decorate`` turns stored blob references into the parent's asset URLs."""
    page = FeedPage(cursor=since)
    wanted = set(agreement.collections) if agreement.collections else None
    batch = max(limit, 200)
    while len(page.events) < limit:
        events = catalog.changes_since(page.cursor, batch)
        if not events:
            return page
        for e in events:
            if len(page.events) >= limit:
                page.more = True
                return page
            if (wanted is not None and e.collection not in wanted) or not sees(e.collection) or e.superseded:
                page.cursor = e.seq
                continue
            out: dict[str, Any] = {"seq": e.seq, "at": e.at.isoformat(), "kind": e.kind, "collection": e.collection}
            if e.kind == "collection":
                out["op"] = "delete" if e.body is None else "put"
                if e.body is not None:
                    out["body"] = e.body
            elif e.body is not None and agreement.matcher().matches(e.body):
                release = agreement.release_at(None, e.body, ingested=e.at)
                if release is not None and release > now:
                    page.release_at = release
                    return page
                out.update(op="put", item=e.item_id, etag=e.etag, body=decorate(deepcopy(e.body)))
            elif e.op == "create":
                page.cursor = e.seq  # created out of scope: the child never had it
                continue
            else:
                out.update(op="delete", item=e.item_id)
            page.events.append(out)
            page.cursor = e.seq
        if len(events) < batch:
            return page
    page.more = True
    return page
