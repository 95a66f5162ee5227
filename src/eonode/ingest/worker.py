"""The inbox worker as a background thread of a serving process (``EONODE_INBOX_WATCH=true``).

Every API process offers to run it; the inbox lock lets exactly one of them work at a time, and
another takes over within a poll period if that process exits. Stopping waits for the package in
hand only briefly: ingestion is crash-safe, so an interrupted package is finished on the next start.
"""

from __future__ import annotations

import logging
import threading
import time

from eonode.ingest.activity import ActivityRecorder
from eonode.node import Node

log = logging.getLogger("eonode.ingest")


class InboxWorker:
    def __init__(self, node: Node) -> None:
        self.inbox = node.inbox()
        self.inbox.on_heartbeat = ActivityRecorder(self.inbox, time.time).heartbeat
        self.poll_seconds = node.settings.inbox_poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="eonode-inbox", daemon=True)

    def start(self) -> InboxWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the inbox worker is still busy after %.0f s; its package is finished on restart", timeout)

    def _run(self) -> None:
        log.info("inbox worker offering to watch %s", self.inbox.inbox)
        self.inbox.watch(self._stop, self.poll_seconds)
