"""What a child node tells its parent every ``status_seconds``: version, uptime, disk use, how far
it is behind (events and seconds), its transfer queue and rates, recent errors, usage of its
data (downloads, bytes and users per collection and day) and, in turn, its own children's latest
reports, so the main node sees the whole tree. The reply may ask for a resynchronisation."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from eonode import __version__

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

log = logging.getLogger("eonode.federation")


class StatusReporter:
    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        self.started = time.time()
        self.behind_since: float | None = None  # when the cursor last fell behind the parent

    def report(self) -> dict[str, Any]:
        f = self.follower
        node = f.node
        disk = shutil.disk_usage(node.settings.data_dir)
        lag = max(0, f.parent_last - f.cursor.seq)
        now = time.time()
        if lag == 0:
            self.behind_since = None
        elif self.behind_since is None:
            self.behind_since = now
        transfers = dict(f.copier.transfers)
        children = []
        for child in node.children.all("approved"):
            latest = node.children.reports(child.id, limit=1)
            at, body = latest[0] if latest else (None, {})
            children.append({"name": child.name, "reported": at.isoformat() if at else None, "report": body})
        return {
            "name": node.settings.title,
            "version": __version__,
            "uptime_seconds": round(now - self.started, 1),
            "disk": {"total": disk.total, "used": disk.used, "free": disk.free},
            "cursor": f.cursor.seq,
            "parent_last_seq": f.parent_last,
            "lag_events": lag,
            "lag_seconds": 0.0 if self.behind_since is None else round(now - self.behind_since, 1),
            "connected": f.connected,
            "mode": f.mode,
            "applied": f.applied,
            "queue": len(f.copier.remote_items(limit=1000)) if f.mode == "full" else 0,
            "evicted": f.copier.storage.evicted,
            "transfers": [{"url": url, **state} for url, state in transfers.items()],
            "rate_bytes_per_s": sum(float(s.get("rate") or 0) for s in transfers.values()),
            "errors": f.errors[-10:],
            "items": node.catalog.item_count(),
            "usage": node.accounts.store.usage_since(datetime.now(UTC) - timedelta(days=2)),
            "children": children,
            "reconciled": None if f.reconciler.last is None else f.reconciler.last.public(),
            "reconciliation_postponed": f.reconciler.postponed,
        }

    def send(self) -> None:
        f = self.follower
        with f.client(interruptible=True) as client:
            reply = client.post("/federation/status", json=self.report())
            reply.raise_for_status()
            body = reply.json()
        f.parent_last = max(f.parent_last, int(body.get("last_seq") or 0))
        resync = body.get("resync_from")
        if resync is not None:
            log.info("the parent asks to read its feed again from %s", resync)
            f.resync(int(resync))

    def run(self) -> None:
        f = self.follower
        interval = f.node.settings.status_seconds
        while not f.stop_event.wait(min(interval, 2.0) if f.applied == 0 and not f.connected else interval):
            try:
                self.send()
            except (httpx.HTTPError, OSError, ValueError) as exc:
                if not f.stop_event.is_set():  # cut short by stop(): nothing went wrong
                    f.error(f"status report failed: {type(exc).__name__}: {exc}")
