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

from eonode.errors import StorageError
from eonode.federation.pacing import Pacer
from eonode.federation.storage import COPIED, EVICTED, StoragePressure, data_assets
from eonode.federation.transfer import TransferFailed, TransferOptions, TransferProgress, fetch
from eonode.models.search import SearchQuery
from eonode.storage.local import LocalBlobStore
from eonode.storage.store import blob_href

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

CHECKSUM_PREFIX = "1220"  # multihash: sha2-256, 32 bytes
DEMAND_SECONDS = 600.0  # how long a user's request is remembered without being asked again


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
                self.copy(*wanted, demanded=True)
                with self._lock:
                    self._demanded.pop(wanted, None)
                continue
            queue = self.remote_items() if f.mode == "full" else []
            if not queue or not any([self.copy(i["collection"], i["id"]) for i in queue[:5]]):
                return  # nothing to do, or all failed: wait for the next wake-up (or five seconds)

    # -- one item -------------------------------------------------------------------------------
    def copy(self, collection: str, item_id: str, *, demanded: bool = False) -> bool:
        """Fetch, verify and store the parent's assets of one item; then acknowledge them."""
        f = self.follower
        doc = f.node.catalog.get_item(collection, item_id).doc
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
            if not self._fetch(href, sha, int(asset["file:size"])):
                return False
            asset["href"] = blob_href(sha)
            delivered.append({"collection": doc["collection"], "item": doc["id"], "asset": key, "sha256": sha})
        if not delivered:
            return False
        doc["properties"].pop(EVICTED, None)
        doc["properties"][COPIED] = datetime.now(UTC).isoformat()  # "used" for least-recently-used eviction
        f.node.catalog.put_item(doc)
        with f.client() as client:
            client.post("/federation/ack", json={"delivered": delivered}).raise_for_status()
        return True

    def _fetch(self, url: str, sha: str, size: int) -> bool:
        f = self.follower
        blobs = f.node.blobs
        if blobs.exists(sha):
            return True
        self.transfers[url] = {"state": "queued", "done": 0, "total": size}
        dest = blobs.path(sha) if isinstance(blobs, LocalBlobStore) else f.folder / "transfers" / sha
        dest.parent.mkdir(parents=True, exist_ok=True)

        def progress(p: TransferProgress) -> None:
            self.transfers[url] = {"state": p.state, "done": p.done, "total": p.total, "rate": p.rate}

        try:
            with f.client(timeout=self.options.timeout) as client:
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
            return False
        if not isinstance(blobs, LocalBlobStore):
            with dest.open("rb") as handle:
                blobs.put(iter(lambda: handle.read(1 << 20), b""), expected_sha256=sha, expected_size=size)
            dest.unlink()
        self.transfers.pop(url, None)
        return True
