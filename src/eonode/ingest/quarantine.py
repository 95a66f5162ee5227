"""The quarantine seen from outside the inbox worker: what was refused and why, and giving a
package another chance (back into the inbox, where the worker picks it up as a new delivery)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from eonode.errors import Conflict, NotFound
from eonode.ingest.inbox import REASON_SUFFIX


@dataclass(frozen=True, slots=True)
class Quarantined:
    name: str  # the file or folder in the quarantine
    package: str  # its name as delivered
    code: str
    reason: str
    quarantined_at: str
    size: int
    checksum_files: tuple[str, ...]


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def list_quarantine(folder: Path) -> list[Quarantined]:
    """Every quarantined package with its reason, newest first."""
    out = []
    for reason_file in folder.glob(f"*{REASON_SUFFIX}") if folder.is_dir() else []:
        name = reason_file.name[: -len(REASON_SUFFIX)]
        package = folder / name
        if not package.exists():
            continue  # released, or still being moved in
        try:
            facts = json.loads(reason_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            facts = {}
        out.append(
            Quarantined(
                name=name,
                package=str(facts.get("package", name)),
                code=str(facts.get("code", "Unknown")),
                reason=str(facts.get("reason", "")),
                quarantined_at=str(facts.get("quarantined_at", "")),
                size=_size(package),
                checksum_files=tuple(facts.get("checksum_files", [])),
            )
        )
    return sorted(out, key=lambda q: q.quarantined_at, reverse=True)


def release(folder: Path, name: str, inbox: Path) -> Path:
    """Move a quarantined package (and its checksum files) back into the inbox under the name it
    was delivered with; its reason file goes last, so a crash leaves it listed, never lost."""
    if "/" in name or name.startswith(".") or name.endswith(REASON_SUFFIX):
        raise NotFound(f"no quarantined package {name!r}")
    entry = next((q for q in list_quarantine(folder) if q.name == name), None)
    if entry is None:
        raise NotFound(f"no quarantined package {name!r}")
    target = inbox / entry.package
    if target.exists():
        raise Conflict(f"the inbox already holds a package named {entry.package}")
    inbox.mkdir(parents=True, exist_ok=True)
    for sidecar in entry.checksum_files:
        suffix = Path(sidecar).suffix.lower()
        moved = folder / f"{name}{suffix}"
        if moved.exists() and not (inbox / sidecar).exists():
            shutil.move(moved, inbox / sidecar)
    shutil.move(folder / name, target)
    (folder / f"{name}{REASON_SUFFIX}").unlink(missing_ok=True)
    return target
