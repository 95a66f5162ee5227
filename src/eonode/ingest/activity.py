"""What the inbox worker is doing, for the console: a heartbeat file the worker rewrites after
every round (with its last rounds), and a listing of the packages waiting or in progress.

The status lives in a file, not in memory, because the console may be served by another process
than the one whose thread holds the inbox lock.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from eonode.ingest.inbox import Inbox, RoundReport, is_checksum_file, is_partial

STATUS_FILE = ".worker.json"
KEEP_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    size: int
    modified: datetime
    partial: bool = False  # still being delivered (``.part``/``.tmp`` names)


@dataclass(slots=True)
class InboxActivity:
    running: bool  # some process holds the inbox lock
    heartbeat: datetime | None  # when the worker last finished a round
    pid: int | None
    rounds: list[dict[str, Any]] = field(default_factory=list)  # newest first; "at" is a datetime
    waiting: list[Entry] = field(default_factory=list)
    processing: list[Entry] = field(default_factory=list)


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _entry(path: Path) -> Entry | None:
    try:
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        return Entry(path.name, size, _when(path.stat().st_mtime), is_partial(path.name))
    except FileNotFoundError:
        return None  # ingested or moved while we looked


def _entries(folder: Path) -> list[Entry]:
    if not folder.is_dir():
        return []
    found = (_entry(p) for p in sorted(folder.iterdir()) if not p.name.startswith(".") and not is_checksum_file(p.name))
    return [e for e in found if e is not None]


def _lock_held(inbox: Path) -> bool:
    try:
        fd = os.open(inbox / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the lock if we took it
    return False


def _load(path: Path) -> dict[str, Any]:
    """The status file, or nothing when there is none yet (or a torn one from an old crash)."""
    try:
        loaded = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def read_activity(inbox: Path) -> InboxActivity:
    status = _load(inbox / STATUS_FILE)
    heartbeat = status.get("heartbeat")
    return InboxActivity(
        running=_lock_held(inbox) if inbox.is_dir() else False,
        heartbeat=_when(heartbeat) if isinstance(heartbeat, int | float) else None,
        pid=status.get("pid"),
        rounds=[{**r, "at": _when(r["at"])} for r in status.get("rounds", []) if isinstance(r.get("at"), int | float)],
        waiting=_entries(inbox),
        processing=_entries(inbox / ".processing"),
    )


class ActivityRecorder:
    """Keeps the status file of one inbox worker: a heartbeat per round, the last busy rounds."""

    def __init__(self, inbox: Inbox, clock: Any) -> None:
        self.path = inbox.inbox / STATUS_FILE
        self.clock = clock
        self.rounds: list[dict[str, Any]] = list(_load(self.path).get("rounds", []))

    def heartbeat(self, report: RoundReport | None = None) -> None:
        if report is not None and (report.ingested or report.failed):
            self.rounds.insert(
                0,
                {
                    "at": self.clock(),
                    "ingested": [
                        {"name": r.name, "collection": r.collection, "item": r.item_id, "outcome": r.outcome}
                        for r in report.ingested
                    ],
                    "failed": [{"name": f.name, "code": f.code, "reason": f.reason} for f in report.failed],
                },
            )
            del self.rounds[KEEP_ROUNDS:]
        body = orjson.dumps({"heartbeat": self.clock(), "pid": os.getpid(), "rounds": self.rounds})
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(body)
        os.replace(tmp, self.path)
