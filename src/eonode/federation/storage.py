"""Storage pressure on a child node: a quota for the data bytes it copies from its parent
(quicklooks and metadata files are small and always kept; the quota counts data assets).

When a copy would not fit, the data of the copies used least recently (downloaded by a user or
copied here) is evicted: the blob is deleted and the asset points at
the parent again, marked ``eonode:evicted`` so the transfer loop does not fetch it straight back.
Metadata and quicklooks stay. A user who asks for an evicted asset gets it fetched again through
the hierarchy. Only copies are ever evicted: products catalogued at this node itself are its
originals.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eonode.errors import StorageFull
from eonode.federation.reconcile import UPSTREAM
from eonode.models.search import SearchQuery
from eonode.storage.store import blob_digest

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

log = logging.getLogger("eonode.federation")
EVICTED = "eonode:evicted"
COPIED = "eonode:copied"  # when the data was last copied here
GIB = 1024**3
OLDEST = datetime.min.replace(tzinfo=UTC)


def data_assets(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(k, a) for k, a in item.get("assets", {}).items() if "data" in (a.get("roles") or []) or k == "data"]


class StoragePressure:
    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        quota = follower.node.settings.storage_quota_gib
        self.limit = None if quota is None else int(quota * GIB)
        self.evicted = 0  # since start, for the status report

    def _copies(self) -> list[dict[str, Any]]:
        online = SearchQuery(filter={"op": "=", "args": [{"property": "eonode:availability"}, "online"]}, limit=10_000)
        return [i for i in self.follower.node.catalog.search(online).items if UPSTREAM in i.get("properties", {})]

    @staticmethod
    def held(item: dict[str, Any]) -> int:
        """Bytes of an item's data held here (what the quota counts)."""
        return sum(int(a.get("file:size") or 0) for _k, a in data_assets(item) if blob_digest(str(a.get("href", ""))))

    def make_room(self, incoming: int) -> None:
        """Evict least recently used copies until ``incoming`` more data bytes fit; StorageFull if
        the data would not fit even alone."""
        if self.limit is None:
            return
        if incoming > self.limit:
            raise StorageFull(f"{incoming} bytes of data are more than the whole quota of {self.limit} bytes")
        copies = self._copies()
        used = sum(self.held(i) for i in copies)
        for item in self._least_recent_first(copies):
            if used + incoming <= self.limit:
                return
            used -= self.evict(item)
        if used + incoming > self.limit:
            raise StorageFull(f"{incoming} more bytes of data do not fit in the quota of {self.limit} bytes")

    def _least_recent_first(self, copies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        node = self.follower.node
        last = node.accounts.store.last_downloads()

        def recency(item: dict[str, Any]) -> datetime:
            """Last used: downloaded by a user, or copied here (a fresh copy is not evicted first)."""
            copied = item.get("properties", {}).get(COPIED)
            when = datetime.fromisoformat(copied) if isinstance(copied, str) else OLDEST
            return max(when, last.get((item["collection"], item["id"]), OLDEST))

        return sorted((c for c in copies if self.held(c)), key=recency)

    def evict(self, item: dict[str, Any]) -> int:
        """Drop one copy's data bytes; returns how many bytes were freed."""
        f = self.follower
        doc = copy.deepcopy({k: v for k, v in item.items() if k != "links"})
        freed, dropped = 0, []
        for key, asset in data_assets(doc):
            sha = blob_digest(str(asset.get("href", "")))
            if sha is None:
                continue
            asset["href"] = f.asset_url(doc["collection"], doc["id"], key)
            if f.node.blobs.exists(sha):
                freed += f.node.blobs.stat(sha).size
                dropped.append(sha)
        doc["properties"][EVICTED] = datetime.now(UTC).isoformat()
        f.node.catalog.put_item(doc)  # first point away from the bytes, then delete them
        for sha in dropped:
            f.node.blobs.delete(sha)
        self.evicted += 1
        log.info("evicted the data of %s/%s (%d bytes) to make room", doc["collection"], doc["id"], freed)
        return freed
