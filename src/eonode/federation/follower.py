"""A child node following its parent: one outbound connection (Server-Sent Events, so it works
behind NAT), a durable cursor, every event applied idempotently to the child's own catalogue —
whose own feed then carries it on to the child's children — and, for agreements in ``full``
mode, the bytes fetched, verified and acknowledged.

Nothing here needs the child to be reachable: it connects out, reads, and reports.

* The cursor is a small file written after each applied event (no fsync: an event applied twice
  is applied once, so losing the last few cursor updates only repeats work).
* Items arrive with their asset links pointing at the parent: they are ``remote`` here until the
  copier (``copier.py``) puts the data into this node's blob store (then ``online``).
* Stopping is prompt: the sockets of the replies being read from the parent are shut down, which
  makes a read blocked in another thread return at once (closing a client or a socket from another
  thread does not: the read waits for the parent's next keep-alive).
* A connection that brought anything (events, a keep-alive) resets the reconnection backoff: a
  drop after a healthy period reconnects at once, a parent that keeps refusing is tried ever less
  often (up to ``BACKOFF_CAP``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from httpx_sse import ServerSentEvent, connect_sse

from eonode import __version__
from eonode.errors import NotFound
from eonode.federation.agreement import Agreement, Mode
from eonode.federation.copier import COPY_OPTIONS, Copier, sha256_of
from eonode.federation.pacing import Pacer
from eonode.federation.reconcile import UPSTREAM, Reconciler
from eonode.federation.reporting import StatusReporter
from eonode.federation.transfer import TransferOptions
from eonode.node import Node
from eonode.storage.store import blob_digest, blob_href

log = logging.getLogger("eonode.federation")
BACKOFF_CAP = 30.0
RECONNECT_JITTER = (0.1, 0.5)  # seconds before reconnecting after a connection that was healthy
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


def reconnect_delay(failures: int) -> float:
    """Seconds to wait before connecting again after ``failures`` attempts in a row that brought
    nothing: a short jittered pause after a healthy connection (many children of one parent do not
    all come back in the same instant), then exponential backoff with full jitter, capped."""
    if failures == 0:
        return random.uniform(*RECONNECT_JITTER)
    return random.uniform(0, min(BACKOFF_CAP, 0.5 * 2**failures))


def cut(response: httpx.Response) -> None:
    """Shut down the socket ``response`` is read from: a thread blocked reading it returns at once.

    ``shutdown`` wakes a blocked ``recv`` (it returns end-of-file, so httpx raises a protocol
    error); ``close`` from another thread does not. The base class's method is called so that a
    TLS socket is shut down underneath its SSL object, not torn down while another thread uses it.
    """
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Follower:
    def __init__(self, node: Node, parent_url: str, key: str, *, options: TransferOptions | None = None) -> None:
        self.node = node
        self.parent = parent_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {key}", "User-Agent": f"eonode/{__version__} (child node)"}
        self.folder = node.settings.data_dir / "federation"
        self.cursor = Cursor(self.folder, self.parent)
        self.mode: Mode | None = None  # the agreement's, once /federation/me has answered
        self.stop_event = threading.Event()
        self.applied = 0
        self.errors: list[str] = []
        self.parent_last = 0
        self.connected = False
        self.catching_up = False  # reading the feed in pages, far behind the parent (see _catch_up)
        self.refused: str | None = None
        self._heard = False  # the current connection brought something (a page, an event, a keep-alive)
        self._stream: httpx.Response | None = None  # the open Server-Sent Events reply
        self._resync_lock = threading.Lock()
        self._resync_to: int | None = None  # asked by the parent; the follow thread moves the cursor
        self._reading: weakref.WeakSet[httpx.Response] = weakref.WeakSet()  # replies stop() cuts short
        self._reading_lock = threading.Lock()
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
        self.copier.wake.set()  # a transfer in flight stops through its cancel event, between reads
        with self._reading_lock:
            reading = list(self._reading)
        for response in reading:
            if not response.is_closed:
                cut(response)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def client(self, timeout: float = 30.0, *, interruptible: bool = False) -> httpx.Client:
        """A client for the parent; an ``interruptible`` one's replies are cut short by :meth:`stop`
        (the feed, status reports, reconciliation — not transfers, which checkpoint on cancel)."""
        hooks = {"response": [self._track]} if interruptible else {}
        return httpx.Client(
            base_url=self.parent, headers=self.headers, timeout=timeout, trust_env=False, event_hooks=hooks
        )

    def _track(self, response: httpx.Response) -> None:
        """Called with each reply's headers, before its body is read."""
        with self._reading_lock:
            self._reading.add(response)
            stopping = self.stop_event.is_set()
        if stopping:  # stop() has already looked: do not start reading
            cut(response)

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
                report = self.reconciler.run_once()
            except Exception as exc:  # keep the thread: a failed round is reported and retried
                if not self.stop_event.is_set():
                    self.error(f"reconciliation failed: {type(exc).__name__}: {exc}")
                continue
            if report.postponed:
                wait = min(wait, 30.0)  # look again soon: the catch-up may be over by then

    # -- the feed -------------------------------------------------------------------------------
    def _follow(self) -> None:
        failures = 0  # attempts in a row that brought nothing
        while not self.stop_event.is_set():
            self._heard = False
            try:
                self._connect()
                failures = 0
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                self.refused = f"{status}: {exc.response.text[:200]}" if status in (401, 403) else None
                self.error(f"the parent answered {status} to the feed")
                failures = 0 if self._heard else failures + 1
            except (httpx.HTTPError, OSError, ValueError, RuntimeError) as exc:
                if not self.stop_event.is_set() and self._resync_to is None:  # not cut short on purpose
                    self.error(f"feed connection lost: {type(exc).__name__}: {exc}")
                failures = 0 if self._heard else failures + 1
            finally:
                self.connected = False
            self.stop_event.wait(reconnect_delay(failures))

    def _connect(self) -> None:
        """One connection: the agreement, a catch-up in pages if far behind, then the stream."""
        with self.client(interruptible=True) as client:
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
            self._read_stream(client)

    def _take_resync(self) -> None:
        """Move the cursor where the parent asked, if it did."""
        with self._resync_lock:
            since, self._resync_to = self._resync_to, None
        if since is not None:
            self.cursor.save(since)

    def _read_stream(self, client: httpx.Client) -> None:
        timeout = httpx.Timeout(30.0, read=60.0)  # the parent sends a keep-alive every 15 s
        self._take_resync()
        params = {"since": self.cursor.seq}
        with connect_sse(client, "GET", "/federation/stream", params=params, timeout=timeout) as source:
            self._stream = source.response
            try:
                source.response.raise_for_status()
                self.connected = True
                self._apply_stream(source.iter_sse())
            finally:
                self._stream = None
                self._heard = self._heard or source.response.num_bytes_downloaded > 0  # keep-alives count

    def _apply_stream(self, events: Iterator[ServerSentEvent]) -> None:
        for sse in events:
            if self.stop_event.is_set() or self._resync_to is not None:
                return  # stopping, or asked to read again from elsewhere: reconnect from there
            if sse.event == "change":
                event = orjson.loads(sse.data)
                self.apply(event)
                self.cursor.save(int(event["seq"]))
                self.parent_last = max(self.parent_last, int(event.get("last", 0)))
                if self.parent_last - self.cursor.seq > CATCH_UP_BEHIND:
                    self.catching_up = True  # far behind (a burst at the parent): reconnect, catch up in pages
                    return
            elif sse.event == "cursor":
                self.cursor.save(int(orjson.loads(sse.data)["next"]))
            self.parent_last = max(self.parent_last, self.cursor.seq)

    def _catch_up(self, client: httpx.Client) -> None:
        """Read the feed in pages and apply each page in bulk until near the parent's head: after
        an outage, thousands of events a second instead of one transaction each.

        ``catching_up`` is true from the moment the follower knows it is more than
        ``CATCH_UP_BEHIND`` events behind until a page brings it within that distance, or the
        feed holds back at an embargo (then there is nothing more to catch up for now)."""
        while not self.stop_event.is_set():
            self._take_resync()
            self.catching_up = self.parent_last - self.cursor.seq > CATCH_UP_BEHIND
            if not self.catching_up:
                return
            reply = client.get("/federation/feed", params={"since": self.cursor.seq, "limit": CATCH_UP_PAGE})
            reply.raise_for_status()
            page = reply.json()
            self.apply_all(page["events"])
            self.cursor.save(int(page["next"]))
            self._heard = True
            self.parent_last = max(int(page["last"]), self.cursor.seq)
            if not page["more"]:
                self.catching_up = False
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
        """Read the parent's feed again from ``since`` (events already applied change nothing).

        Called from the status thread; the follow thread, the only one to save the cursor, moves
        it when it next looks (``_take_resync``), so an event it is applying cannot undo this."""
        with self._resync_lock:
            self._resync_to = since
        stream = self._stream
        if stream is not None:
            cut(stream)  # the stream breaks off and reconnects from the new cursor

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
