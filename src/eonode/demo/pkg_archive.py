"""Byte-identical packages: tar, tar.gz, zip or a plain folder, written atomically and streamed.

Determinism needs every variable field pinned: members sorted by path, one fixed mtime, uid/gid 0,
owner names fixed, modes 0644/0755, a gzip header without name and with mtime 0, and zip entries
with a fixed date and creator. Content is copied chunk by chunk, so a multi-gigabyte image never
sits in memory. The archive is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from eonode.demo.pkg_model import Blob, Entry

FORMATS = ("tar.gz", "tar", "zip", "dir")
ZIP64_LIMIT = 1 << 31


class _BlobReader(io.RawIOBase):
    """A file-like view of a blob's chunks, for ``tarfile.addfile``."""

    def __init__(self, blob: Blob) -> None:
        self._chunks: Iterator[bytes] = blob.chunks()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill the whole buffer unless the blob ends: ``tarfile`` takes a short read for the end of data."""
        filled = 0
        while filled < len(buffer):
            if not self._pending:
                self._pending = next(self._chunks, b"")
                if not self._pending:
                    break
            n = min(len(buffer) - filled, len(self._pending))
            buffer[filled : filled + n] = self._pending[:n]
            self._pending = self._pending[n:]
            filled += n
        return filled


def suffix(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown package format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return "" if fmt == "dir" else "." + fmt


def _folders(paths: Sequence[str]) -> list[str]:
    found: set[str] = set()
    for p in paths:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            found.add("/".join(parts[:i]))
    return sorted(found)


def _tar(fileobj: io.IOBase, name: str, entries: Sequence[Entry], mtime: int) -> None:
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        folders = [name] + [f"{name}/{d}" for d in _folders([e.path for e in entries])]
        members = sorted([(d, None) for d in folders] + [(f"{name}/{e.path}", e) for e in entries], key=lambda m: m[0])
        for path, entry in members:
            info = tarfile.TarInfo(path)
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "root", "root"
            if entry is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = entry.blob.size, 0o644
                tar.addfile(info, _BlobReader(entry.blob))


def _zip(path: Path, entries: Sequence[Entry], when: datetime, level: int) -> None:
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for entry in sorted(entries, key=lambda e: e.path):
            info = zipfile.ZipInfo(entry.path, date_time=stamp)
            info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 3
            info.external_attr = 0o100644 << 16
            with zf.open(info, "w", force_zip64=entry.blob.size >= ZIP64_LIMIT) as out:
                for chunk in entry.blob.chunks():
                    out.write(chunk)


def _folder(path: Path, entries: Sequence[Entry], mtime: int) -> None:
    path.mkdir(parents=True)
    for entry in sorted(entries, key=lambda e: e.path):
        target = path / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in entry.blob.chunks():
                out.write(chunk)
        os.utime(target, (mtime, mtime))
    for folder in [*reversed(_folders([e.path for e in entries])), ""]:
        os.utime(path / folder, (mtime, mtime))


def write(out_dir: Path, name: str, entries: Sequence[Entry], fmt: str, produced: datetime, *, level: int = 6) -> Path:
    """Write the package ``<out_dir>/<name><ext>`` (replacing an older one) and return its path.

    Archives hold the files under a top folder named like the product (what CRESDA tar.gz do);
    zip files hold them at the root (what reseller zips do); ``dir`` is that folder itself."""
    final = out_dir / (name + suffix(fmt))
    temp = out_dir / f".{final.name}.part"
    if temp.is_dir():
        shutil.rmtree(temp)
    else:
        temp.unlink(missing_ok=True)
    mtime = int(produced.astimezone(UTC).timestamp())
    if fmt == "dir":
        _folder(temp, entries, mtime)
    elif fmt == "zip":
        _zip(temp, entries, produced.astimezone(UTC), level)
    else:
        with temp.open("wb") as raw:
            if fmt == "tar":
                _tar(raw, name, entries, mtime)
            else:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level) as gz:
                    _tar(gz, name, entries, mtime)
    if final.is_dir():
        shutil.rmtree(final)
    os.replace(temp, final)
    return final
