"""The inbox: a folder the processing system drops packages into, watched by one worker.

A package moves through the inbox by renames, so a crash at any moment leaves it in exactly one
place and a restart knows what to do with it:

* ``<inbox>/<name>``              delivered; picked up once it has stopped changing for
                                  ``settle_seconds`` and its name is not a partial-copy name
                                  (``.part``, ``.tmp``, a leading dot…);
* ``<inbox>/.processing/<name>``  claimed (one rename); a restart ingests these again first —
                                  ingestion is idempotent, so a package whose item was already
                                  written is a no-op the second time;
* ``<inbox>/.done/<name>``        catalogued; deleted (a folder is renamed here before it is
                                  removed, so a half-deleted folder is never ingested);
* ``<quarantine>/<name>``         refused, next to ``<name>.reason.json`` (written first).

Checksum files delivered next to a package (``<name>.md5``, ``<name>.sha256``, with or without
the archive suffix) travel with it and are verified. Failures of the node itself (database or
disk) are not the package's fault: it goes back to the inbox and is retried later.

Only one worker per inbox runs at a time (an exclusive lock on ``<inbox>/.lock``), so several API
processes can all offer to run it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eonode.errors import IngestError, NotAPackage
from eonode.ingest.packages import is_package, product_name
from eonode.ingest.pipeline import Expected, Ingester, IngestResult
from eonode.storage.local import fsync_dir

log = logging.getLogger("eonode.ingest")

PARTIAL_SUFFIXES = (
    ".part",
    ".partial",
    ".tmp",
    ".temp",
    ".filepart",
    ".crdownload",
    ".download",
    ".uploading",
    ".writing",
    ".!ut",
)
CHECKSUM_SUFFIXES = (".md5", ".sha256")
REASON_SUFFIX = ".reason.json"
MAX_BACKOFF = 300.0


@dataclass(frozen=True, slots=True)
class Failure:
    name: str
    code: str
    reason: str
    quarantined_as: Path | None = None
    retry: bool = False  # a failure of the node (database, disk): the package waits in the inbox


@dataclass(slots=True)
class RoundReport:
    ingested: list[IngestResult] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    waiting: int = 0  # packages seen but not yet settled, or backing off after a node failure


def is_partial(name: str) -> bool:
    """Names of files still being copied, or hidden files, which the inbox never picks up."""
    lower = name.lower()
    return name.startswith((".", "~")) or lower.endswith(PARTIAL_SUFFIXES)


def is_checksum_file(name: str) -> bool:
    return name.lower().endswith(CHECKSUM_SUFFIXES)


def checksum_files(path: Path) -> list[Path]:
    """Checksum files delivered for a package: ``X.tar.gz.md5`` or ``X.md5`` (and .sha256)."""
    stems = {path.name, product_name(path)}
    return [
        path.parent / f"{stem}{suffix}"
        for stem in sorted(stems)
        for suffix in CHECKSUM_SUFFIXES
        if (path.parent / f"{stem}{suffix}").is_file()
    ]


_HEX = re.compile(r"^[0-9a-fA-F]+$")


def expected_checksums(files: list[Path]) -> Expected:
    """Read ``md5sum``/``sha256sum`` style files (the first word of the first line)."""
    found: dict[str, str] = {}
    for f in files:
        kind = "md5" if f.name.lower().endswith(".md5") else "sha256"
        words = f.read_text(encoding="ascii", errors="replace").split()
        value = words[0].lower() if words else ""
        if not _HEX.match(value) or len(value) != (32 if kind == "md5" else 64):
            raise IngestError(f"{f.name} does not hold a {kind} checksum")
        found[kind] = value
    return Expected(sha256=found.get("sha256"), md5=found.get("md5"))


def signature(path: Path) -> tuple[int, int, int]:
    """(files, bytes, newest mtime in ns) of a file or folder: it settles when this stops moving."""
    st = path.lstat()
    if not path.is_dir() or path.is_symlink():
        return (1, st.st_size, st.st_mtime_ns)
    files, size, newest = 0, 0, st.st_mtime_ns
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            with contextlib.suppress(FileNotFoundError):
                sub = Path(dirpath, name).lstat()
                files += 1
                size += sub.st_size
                newest = max(newest, sub.st_mtime_ns)
    return (files, size, newest)


def _move(src: Path, dst: Path) -> None:
    """Rename, or copy-then-rename-then-delete across file systems (never a half-copied target)."""
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = dst.with_name(f".incoming-{dst.name}")
        if src.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(src, tmp, symlinks=True)
        else:
            shutil.copy2(src, tmp)
        os.rename(tmp, dst)
        _remove(src)
    fsync_dir(dst.parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class Inbox:
    def __init__(
        self,
        ingester: Ingester,
        inbox: Path,
        quarantine: Path,
        *,
        settle_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ingester = ingester
        self.inbox = inbox
        self.quarantine = quarantine
        self.processing = inbox / ".processing"
        self.done = inbox / ".done"
        self.settle_seconds = settle_seconds
        self.clock = clock
        self._signatures: dict[str, tuple[int, int, int]] = {}
        self._retry_at: dict[str, tuple[float, int]] = {}  # name -> (when, attempts so far)
        self._lock_fd: int | None = None
        self.on_round: Callable[[RoundReport], None] | None = None  # told what each busy round did
        self.on_heartbeat: Callable[[RoundReport], None] | None = None  # told after every round it ran
        for folder in (inbox, self.processing, self.done, quarantine):
            folder.mkdir(parents=True, exist_ok=True)

    # -- the single-worker lock ----------------------------------------------------------------
    def try_lock(self) -> bool:
        """Become the inbox's worker if no other process is; True when this object holds the lock."""
        if self._lock_fd is not None:
            return True
        fd = os.open(self.inbox / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    # -- one round -----------------------------------------------------------------------------
    def run_once(self) -> RoundReport:
        """Finish interrupted work, then ingest every settled package. Needs the lock."""
        if not self.try_lock():
            raise RuntimeError(f"another worker is running the inbox {self.inbox}")
        report = RoundReport()
        self._clear_done()
        for interrupted in sorted(self.processing.iterdir()):
            if not is_checksum_file(interrupted.name) and not interrupted.name.startswith(".incoming-"):
                self._process(interrupted, report)
        for candidate in self._ready(report):
            claimed = self._claim(candidate)
            if claimed is not None:
                self._process(claimed, report)
        return report

    def watch(self, stop: threading.Event, poll_seconds: float = 2.0) -> None:
        """Run rounds until ``stop`` is set; waits its turn while another worker holds the lock."""
        while not stop.is_set():
            try:
                if self.try_lock():
                    report = self.run_once()
                    if self.on_round is not None and (report.ingested or report.failed):
                        self.on_round(report)
                    if self.on_heartbeat is not None:
                        self.on_heartbeat(report)
            except Exception:  # keep watching: a failing round is logged and retried
                log.exception("inbox round failed; retrying in %.0f s", poll_seconds)
            stop.wait(poll_seconds)
        self.unlock()

    # -- steps ---------------------------------------------------------------------------------
    def _clear_done(self) -> None:
        for leftover in self.done.iterdir():
            _remove(leftover)

    def _ready(self, report: RoundReport) -> list[Path]:
        now = self.clock()
        ready: list[Path] = []
        seen: set[str] = set()
        for entry in sorted(self.inbox.iterdir()):
            name = entry.name
            if is_partial(name) or is_checksum_file(name):
                continue
            seen.add(name)
            retry = self._retry_at.get(name)
            if retry is not None and retry[0] > now:
                report.waiting += 1
                continue
            try:
                sig = signature(entry)
            except FileNotFoundError:
                continue
            previous = self._signatures.get(name)
            self._signatures[name] = sig
            settled = now - sig[2] / 1e9 >= self.settle_seconds
            if self.settle_seconds > 0 and (previous != sig or not settled):
                report.waiting += 1
                continue
            ready.append(entry)
        for gone in set(self._signatures) - seen:
            del self._signatures[gone]
        return ready

    def _claim(self, entry: Path) -> Path | None:
        target = self.processing / entry.name
        if target.exists():
            return None  # an older delivery of the same name is still being processed
        sidecars = checksum_files(entry)
        try:
            for sidecar in sidecars:
                os.rename(sidecar, self.processing / sidecar.name)
            os.rename(entry, target)
        except FileNotFoundError:
            return None  # taken away meanwhile
        fsync_dir(self.processing)
        self._signatures.pop(entry.name, None)
        return target

    def _process(self, claimed: Path, report: RoundReport) -> None:
        name = claimed.name
        sidecars = checksum_files(claimed)
        try:
            if not is_package(claimed):
                raise NotAPackage(f"{name}: not a product package (.tar.gz, .tgz, .tar, .zip or a folder)")
            result = self.ingester.ingest(claimed, expected_checksums(sidecars))
        except IngestError as exc:
            where = self._quarantine(claimed, sidecars, exc)
            report.failed.append(Failure(name, exc.code, exc.description, where))
            log.warning("quarantined %s: %s: %s", name, exc.code, exc.description)
            return
        except Exception as exc:  # the node failed (database, disk): not the package's fault
            self._back_to_inbox(claimed, sidecars)
            report.failed.append(Failure(name, type(exc).__name__, str(exc), retry=True))
            log.exception("ingesting %s failed; it stays in the inbox for a retry", name)
            return
        self._retry_at.pop(name, None)
        finished = self.done / name
        os.rename(claimed, finished)
        fsync_dir(self.done)
        for sidecar in sidecars:
            sidecar.unlink(missing_ok=True)
        _remove(finished)
        report.ingested.append(result)

    def quarantine_in_place(self, path: Path, exc: IngestError) -> Path:
        """Quarantine a refused package that was ingested from where it lies (not the inbox)."""
        return self._quarantine(path, checksum_files(path), exc)

    def _quarantine(self, claimed: Path, sidecars: list[Path], exc: IngestError) -> Path:
        target = self._free_quarantine_name(claimed.name)
        reason: dict[str, Any] = {
            "package": claimed.name,
            "code": exc.code,
            "reason": exc.description,
            "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "checksum_files": [s.name for s in sidecars],
        }
        reason_file = target.with_name(target.name + REASON_SUFFIX)
        tmp = reason_file.with_name(f".{reason_file.name}.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(reason, f, ensure_ascii=False, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, reason_file)
        for sidecar in sidecars:
            _move(sidecar, target.with_name(target.name + sidecar.suffix.lower()))
        _move(claimed, target)
        return target

    def _free_quarantine_name(self, name: str) -> Path:
        target = self.quarantine / name
        if not target.exists():
            return target
        stem = product_name(Path(name))
        suffix = name[len(stem) :]
        k = 1
        while (self.quarantine / f"{stem}~{k}{suffix}").exists():
            k += 1
        return self.quarantine / f"{stem}~{k}{suffix}"

    def _back_to_inbox(self, claimed: Path, sidecars: list[Path]) -> None:
        name = claimed.name
        _, attempts = self._retry_at.get(name, (0.0, 0))
        self._retry_at[name] = (self.clock() + min(MAX_BACKOFF, 5.0 * 2**attempts), attempts + 1)
        if (self.inbox / name).exists():
            return  # a newer delivery took the name: this copy waits in .processing for the next round
        for sidecar in sidecars:
            if not (self.inbox / sidecar.name).exists():
                os.rename(sidecar, self.inbox / sidecar.name)
        os.rename(claimed, self.inbox / name)
