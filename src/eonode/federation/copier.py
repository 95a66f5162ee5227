"""A child's copies of its parent's bytes: what its users ask for first, then — in ``full`` mode —
every item still ``remote`` here, each asset fetched with Range resume, verified, stored under its
digest and acknowledged to the parent. Within the storage quota (``storage.py``).

The queue is the catalogue itself (items of the parent still remote, not evicted), so a restart
loses nothing; what users asked for is kept in memory and asked again by their retries.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from eonode.errors import NotFound, PreconditionFailed, StorageError
from eonode.federation.pacing import Pacer
from eonode.federation.storage import COPIED, EVICTED, StoragePressure, data_assets
from eonode.federation.transfer import TransferFailed, TransferOptions, TransferProgress, fetch
from eonode.federation.transfer_transport import bulk_client
from eonode.models.search import SearchQuery
from eonode.storage.local import LocalBlobStore
from eonode.storage.store import blob_href

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

CHECKSUM_PREFIX = "1220"  # multihash: sha2-256, 32 bytes
DEMAND_SECONDS = 600.0  # how long a user's request is remembered without being asked again
PARK_MAX_SECONDS = 600.0  # the longest an item that keeps failing waits before its next try
# A copy gives up soon and lets the next item go (the item is parked and tried again later, its
# partial file kept): a parent answering 503 while it fetches the asset itself must not hold up
# the assets behind it.
COPY_OPTIONS = TransferOptions(max_attempts=3, backoff_cap=10.0)


def sha256_of(asset: dict[str, Any]) -> str | None:
    checksum = str(asset.get("file:checksum", ""))
    return checksum[len(CHECKSUM_PREFIX) :] if checksum.startswith(CHECKSUM_PREFIX) and len(checksum) == 68 else None


class Copier:
    def __init__(self, follower: Follower, options: TransferOptions) -> None:
        self.follower = follower
        self.options = options
        self.pacer: Pacer | None = None  # the agreement's bandwidth cap and transfer windows
        self.storage = StoragePressure(follower)
        self.wake = threading.Event()
        self.transfers: dict[str, dict[str, Any]] = {}  # asset url -> state, for reports and users
        self._demanded: dict[tuple[str, str], float] = {}  # (collection, item) -> when asked
        self._parked: dict[tuple[str, str], tuple[int, float]] = {}  # -> (failures in a row, next try)
        self._lock = threading.Lock()

    # -- what users ask for ---------------------------------------------------------------------
    def demand(self, collection: str, item_id: str, url: str, size: int) -> dict[str, Any]:
        """A user asked for this remote asset: fetch its item first; returns the transfer's state."""
        with self._lock:
            self._demanded[(collection, item_id)] = time.monotonic()
        self.wake.set()
        return self.transfers.get(url) or {"state": "queued", "done": 0, "total": size}

    def _next_demanded(self) -> tuple[str, str] | None:
        now = time.monotonic()
        with self._lock:
            for key, when in list(self._demanded.items()):
                if now - when > DEMAND_SECONDS:
                    del self._demanded[key]
            return next(iter(self._demanded), None)

    # -- the loop -------------------------------------------------------------------------------
    def remote_items(self, limit: int = 50) -> list[dict[str, Any]]:
        """Items whose data is still at the parent and not evicted (the full-mode queue)."""
        remote = {"op": "=", "args": [{"property": "eonode:availability"}, "remote"]}
        kept = {"op": "isNull", "args": [{"property": EVICTED}]}
        query = SearchQuery(filter={"op": "and", "args": [remote, kept]}, limit=limit)
        return self.follower.node.catalog.search(query).items

    def _due(self, key: tuple[str, str]) -> bool:
        parked = self._parked.get(key)
        return parked is None or parked[1] <= time.monotonic()

    def _park(self, key: tuple[str, str], retry_after: float | None = None) -> None:
        """Try a failing item again later, each time later (a corrupt source must not be fetched
        in full every few seconds, nor keep the others waiting)."""
        failures = self._parked.get(key, (0, 0.0))[0] + 1
        wait = min(PARK_MAX_SECONDS, max(retry_after or 0.0, 2.0**failures))
        self._parked[key] = (failures, time.monotonic() + wait)

    def run(self) -> None:
        f = self.follower
        while not f.stop_event.is_set():
            self.wake.wait(5.0)
            self.wake.clear()
            if f.refused:
                continue
            try:
                self._round()
            except Exception as exc:  # keep the thread alive: a failing round is reported and retried
                f.error(f"transfer round failed: {type(exc).__name__}: {exc}")

    def _round(self) -> None:
        f = self.follower
        while not f.stop_event.is_set():
            wanted = self._next_demanded()
            if wanted is not None:
                if self._due(wanted):  # an item that keeps failing waits its turn, asked or not
                    self.copy(*wanted, demanded=True)
                with self._lock:
                    self._demanded.pop(wanted, None)
                continue
            queue = self.remote_items(limit=500) if f.mode == "full" else []
            due = [(i["collection"], i["id"]) for i in queue if self._due((i["collection"], i["id"]))]
            copied = False
            for collection, item_id in due[:50]:
                if f.stop_event.is_set() or self._next_demanded() is not None:
                    break  # a user is waiting: serve that first
                copied = self.copy(collection, item_id) or copied
            if not copied:
                return  # nothing to do, or all failed (parked): wait for the next wake-up (or five seconds)

    # -- one item -------------------------------------------------------------------------------
    def copy(self, collection: str, item_id: str, *, demanded: bool = False) -> bool:
        """Fetch, verify and store the parent's assets of one item, acknowledge them, then point
        the item at them — unless it changed meanwhile (then the next round copies the new one)."""
        f = self.follower
        try:
            stored = f.node.catalog.get_item(collection, item_id)
        except NotFound:
            return False  # deleted meanwhile
        doc = stored.doc
        try:
            self.storage.make_room(
                sum(
                    int(a.get("file:size") or 0)
                    for _k, a in data_assets(doc)
                    if str(a.get("href", "")).startswith(f.parent + "/")
                )
            )
        except StorageError as exc:
            f.error(f"{collection}/{item_id} is not copied: {exc.description}")
            if not demanded:  # leave it at the parent until a user asks for it
                doc["properties"] = {**doc["properties"], EVICTED: datetime.now(UTC).isoformat()}
                f.node.catalog.put_item(doc)
            return False
        delivered = []
        for key, asset in doc.get("assets", {}).items():
            href, sha = str(asset.get("href", "")), sha256_of(asset)
            if not href.startswith(f.parent + "/") or sha is None or not isinstance(asset.get("file:size"), int):
                continue
            failure = self._fetch(href, sha, int(asset["file:size"]))
            if failure is not None:
                self._park((collection, item_id), failure.retry_after)
                return False
            asset["href"] = blob_href(sha)
            delivered.append({"collection": doc["collection"], "item": doc["id"], "asset": key, "sha256": sha})
        if not delivered:
            return False
        try:  # first tell the parent (a failed acknowledgement leaves the item to be copied again)
            with f.client() as client:
                client.post("/federation/ack", json={"delivered": delivered}).raise_for_status()
        except httpx.HTTPError as exc:
            f.error(f"acknowledging {collection}/{item_id} failed: {exc}")
            self._park((collection, item_id))
            return False
        doc["properties"].pop(EVICTED, None)
        doc["properties"][COPIED] = datetime.now(UTC).isoformat()  # "used" for least-recently-used eviction
        try:
            f.node.catalog.put_item(doc, if_match=stored.etag)
        except (PreconditionFailed, NotFound):
            return False  # changed or deleted while its bytes came: the next round sees the new state
        self._parked.pop((collection, item_id), None)
        return True

    def _fetch(self, url: str, sha: str, size: int) -> TransferFailed | None:
        """Fetch one asset into the blob store; the failure, if any."""
        f = self.follower
        blobs = f.node.blobs
        if blobs.exists(sha):
            return None
        self.transfers[url] = {"state": "queued", "done": 0, "total": size}
        dest = blobs.path(sha) if isinstance(blobs, LocalBlobStore) else f.folder / "transfers" / sha
        dest.parent.mkdir(parents=True, exist_ok=True)

        def progress(p: TransferProgress) -> None:
            self.transfers[url] = {"state": p.state, "done": p.done, "total": p.total, "rate": p.rate}

        try:
            with bulk_client(
                headers=f.headers, timeout=self.options.timeout, connections=self.options.parallel
            ) as client:
                fetch(
                    url,
                    dest,
                    size=size,
                    sha256=sha,
                    headers=f.headers,
                    client=client,
                    options=self.options,
                    progress=progress,
                    pacer=self.pacer,
                    cancel=f.stop_event,
                )
        except TransferFailed as exc:
            self.transfers[url] = {**self.transfers[url], "state": "failed", "reason": str(exc)}
            f.error(f"transfer of {url} failed: {exc}")
            return exc
        if not isinstance(blobs, LocalBlobStore):
            with dest.open("rb") as handle:
                blobs.put(iter(lambda: handle.read(1 << 20), b""), expected_sha256=sha, expected_size=size)
            dest.unlink()
        self.transfers.pop(url, None)
        return None
