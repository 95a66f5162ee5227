"""A child node following its parent: one outbound connection (Server-Sent Events, so it works
behind NAT), a durable cursor, every event applied idempotently to the child's own catalogue —
whose own feed then carries it on to the child's children — and, for agreements in ``full``
mode, the bytes fetched, verified and acknowledged.

Nothing here needs the child to be reachable: it connects out, reads, and reports.

* The cursor is a small file written after each applied event (no fsync: an event applied twice
  is applied once, so losing the last few cursor updates only repeats work).
* Items arrive with their asset links pointing at the parent: they are ``remote`` here until the
  copier (``copier.py``) puts the data into this node's blob store (then ``online``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from httpx_sse import connect_sse

from eonode import __version__
from eonode.errors import NotFound
from eonode.federation.agreement import Agreement
from eonode.federation.copier import COPY_OPTIONS, Copier, sha256_of
from eonode.federation.pacing import Pacer
from eonode.federation.reconcile import UPSTREAM, Reconciler
from eonode.federation.reporting import StatusReporter
from eonode.federation.transfer import TransferOptions
from eonode.node import Node
from eonode.storage.store import blob_digest, blob_href

log = logging.getLogger("eonode.federation")
BACKOFF_CAP = 30.0
CATCH_UP_BEHIND = 1000  # this many events behind the parent: catch up in pages, not one by one
CATCH_UP_PAGE = 2000


class Cursor:
    """The last parent sequence number applied here, kept in ``<data>/federation/cursor.json``."""

    def __init__(self, folder: Path, parent: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "cursor.json"
        self.parent = parent
        self.seq = 0
        try:
            saved = orjson.loads(self.path.read_bytes())
            if saved.get("parent") == parent:
                self.seq = int(saved.get("seq", 0))
        except (FileNotFoundError, orjson.JSONDecodeError, ValueError):
            pass

    def save(self, seq: int) -> None:
        self.seq = seq
        tmp = self.path.with_name("cursor.json.tmp")
        tmp.write_bytes(orjson.dumps({"parent": self.parent, "seq": seq}))
        os.replace(tmp, self.path)


class Follower:
    def __init__(self, node: Node, parent_url: str, key: str, *, options: TransferOptions | None = None) -> None:
        self.node = node
        self.parent = parent_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {key}", "User-Agent": f"eonode/{__version__} (child node)"}
        self.folder = node.settings.data_dir / "federation"
        self.cursor = Cursor(self.folder, self.parent)
        self.mode = "metadata"
        self.stop_event = threading.Event()
        self.applied = 0
        self.errors: list[str] = []
        self.parent_last = 0
        self.connected = False
        self.refused: str | None = None
        self._stream_client: httpx.Client | None = None
        self.copier = Copier(self, options or COPY_OPTIONS)
        self.reporter = StatusReporter(self)
        self.reconciler = Reconciler(self)
        self._threads = [
            threading.Thread(target=self._follow, name="eonode-follow", daemon=True),
            threading.Thread(target=self.copier.run, name="eonode-transfers", daemon=True),
            threading.Thread(target=self.reporter.run, name="eonode-status", daemon=True),
            threading.Thread(target=self._reconcile_loop, name="eonode-reconcile", daemon=True),
        ]

    def start(self) -> Follower:
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop within ``timeout`` in all: a transfer in flight is checkpointed and resumes later."""
        self.stop_event.set()
        self.copier.wake.set()
        client = self._stream_client
        if client is not None:
            client.close()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.parent, headers=self.headers, timeout=timeout, trust_env=False)

    def error(self, message: str) -> None:
        log.warning("federation: %s", message)
        self.errors = [*self.errors[-49:], f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {message}"]

    def _reconcile_loop(self) -> None:
        """Compare with the parent soon after start (a restored or damaged node repairs itself
        first), then every ``reconcile_seconds``."""
        wait = min(30.0, self.node.settings.reconcile_seconds)
        while not self.stop_event.wait(wait):
            wait = self.node.settings.reconcile_seconds
            if not self.connected or self.refused:
                wait = min(wait, 30.0)
                continue
            try:
                self.reconciler.run_once()
            except Exception as exc:  # keep the thread: a failed round is reported and retried
                self.error(f"reconciliation failed: {type(exc).__name__}: {exc}")

    # -- the feed -------------------------------------------------------------------------------
    def _follow(self) -> None:
        attempt = 0
        while not self.stop_event.is_set():
            try:
                self._stream()
                attempt = 0
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                self.refused = f"{status}: {exc.response.text[:200]}" if status in (401, 403) else None
                self.error(f"the parent answered {status} to the feed")
                attempt += 1
            except (httpx.HTTPError, OSError, ValueError, RuntimeError) as exc:
                if not self.stop_event.is_set():
                    self.error(f"feed connection lost: {type(exc).__name__}: {exc}")
                attempt += 1
            finally:
                self.connected = False
                self._stream_client = None
            self.stop_event.wait(random.uniform(0, min(BACKOFF_CAP, 0.5 * 2**attempt)) if attempt else 0.2)

    def _stream(self) -> None:
        timeout = httpx.Timeout(30.0, read=60.0)  # the parent sends a keep-alive every 15 s
        with self.client() as client:
            self._stream_client = client
            me = client.get("/federation/me")
            me.raise_for_status()
            info = me.json()
            agreement = Agreement.parse(info["agreement"])
            self.mode = agreement.mode
            self.copier.pacer = Pacer(agreement.bandwidth_limit, agreement.transfer_schedule())
            self.parent_last = int(info.get("parent", {}).get("last_seq", 0))
            self.refused = None
            self.copier.wake.set()
            self._catch_up(client)
            with connect_sse(
                client, "GET", "/federation/stream", params={"since": self.cursor.seq}, timeout=timeout
            ) as source:
                source.response.raise_for_status()
                self.connected = True
                for sse in source.iter_sse():
                    if self.stop_event.is_set():
                        return
                    if sse.event == "change":
                        event = orjson.loads(sse.data)
                        self.apply(event)
                        self.cursor.save(int(event["seq"]))
                        if int(event.get("last", 0)) - self.cursor.seq > CATCH_UP_BEHIND:
                            return  # far behind (a burst at the parent): reconnect, catching up in pages
                    elif sse.event == "cursor":
                        self.cursor.save(int(orjson.loads(sse.data)["next"]))
                    self.parent_last = max(self.parent_last, self.cursor.seq)

    def _catch_up(self, client: httpx.Client) -> None:
        """Read the feed in pages and apply each page in bulk until near the parent's head: after
        an outage, thousands of events a second instead of one transaction each."""
        while not self.stop_event.is_set() and self.parent_last - self.cursor.seq > CATCH_UP_BEHIND:
            reply = client.get("/federation/feed", params={"since": self.cursor.seq, "limit": CATCH_UP_PAGE})
            reply.raise_for_status()
            page = reply.json()
            self.apply_all(page["events"])
            self.cursor.save(int(page["next"]))
            self.parent_last = max(int(page["last"]), self.cursor.seq)
            if not page["more"]:
                return

    def apply_all(self, events: list[dict[str, Any]]) -> None:
        """Events in order, runs of item writes in one bulk write each (same result as one by one:
        a page carries each item's latest document once)."""
        puts: list[dict[str, Any]] = []

        def flush() -> None:
            if puts:
                report = self.node.catalog.upsert_items(puts)
                for where, why in report.rejected:
                    self.error(f"the parent's {where} was refused here: {why}")
                self.applied += len(puts)
                puts.clear()
                self.copier.wake.set()

        for event in events:
            if event["kind"] == "item" and event["op"] == "put":
                puts.append(self._copy_document(event))
            else:
                flush()
                self.apply(event)
        flush()

    def _copy_document(self, event: dict[str, Any]) -> dict[str, Any]:
        """The parent's item as this node stores it: its version recorded, bytes held here kept."""
        doc = {k: v for k, v in event["body"].items() if k != "links"}
        if event.get("etag"):
            doc["properties"] = {**doc.get("properties", {}), UPSTREAM: event["etag"]}  # for reconciliation
        self._keep_local_bytes(doc)
        return doc

    def resync(self, since: int) -> None:
        """Read the parent's feed again from ``since`` (events already applied change nothing)."""
        self.cursor.save(since)
        client = self._stream_client
        if client is not None:
            client.close()  # the stream breaks off and reconnects from the new cursor

    def apply(self, event: dict[str, Any]) -> None:
        """One parent event, made true here (idempotent: applying it twice changes nothing)."""
        catalog = self.node.catalog
        if event["kind"] == "collection":
            if event["op"] == "put":
                catalog.put_collection({k: v for k, v in event["body"].items() if k != "links"})
            else:
                self._ignore_missing(lambda: catalog.delete_collection(event["collection"]))
        elif event["op"] == "put":
            catalog.put_item(self._copy_document(event))
            self.copier.wake.set()
        else:
            self._ignore_missing(lambda: catalog.delete_item(event["collection"], event["item"]))
        self.applied += 1

    @staticmethod
    def _ignore_missing(action: Callable[[], object]) -> None:
        with contextlib.suppress(NotFound):  # already gone here: nothing to do
            action()

    def _keep_local_bytes(self, doc: dict[str, Any]) -> None:
        """Assets whose bytes this node already holds keep pointing at them (an update of the
        metadata does not make a fetched product remote again)."""
        for asset in doc.get("assets", {}).values():
            sha = sha256_of(asset)
            if sha is not None and self.node.blobs.exists(sha):
                asset["href"] = blob_href(sha)

    def repoint_to_parent(self, item: dict[str, Any]) -> None:
        """Point an item's local assets back at the parent (its bytes here were lost or damaged)."""
        doc = copy.deepcopy({k: v for k, v in item.items() if k != "links"})
        for key, asset in doc.get("assets", {}).items():
            if blob_digest(str(asset.get("href", ""))) is not None:
                asset["href"] = self.asset_url(doc["collection"], doc["id"], key)
        self.node.catalog.put_item(doc)
        self.copier.wake.set()

    def asset_url(self, collection: str, item_id: str, key: str) -> str:
        return f"{self.parent}/collections/{collection}/items/{item_id}/assets/{key}"
