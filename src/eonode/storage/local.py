"""Blobs in a local folder: ``<root>/ab/cd/abcd…`` with temporary files in ``<root>/.tmp``.

Writes go to a temporary file that is fsynced and renamed into place, then the directory is
fsynced, so a crash leaves either the whole verified blob or nothing under its name. Corrupt
blobs found by ``verify`` move to ``<root>/.corrupt`` rather than being deleted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from eonode.errors import BlobNotFound, ChecksumMismatch, StorageError
from eonode.storage.store import CHUNK, SHA256_HEX, BlobInfo, BlobStore, check_digest


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / ".tmp"
        self.corrupt = root / ".corrupt"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(
        self, chunks: Iterable[bytes], *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> BlobInfo:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            info = BlobInfo(digest.hexdigest(), size)
            if expected_sha256 is not None and info.sha256 != expected_sha256:
                raise ChecksumMismatch(f"expected sha256 {expected_sha256}, got {info.sha256}")
            if expected_size is not None and info.size != expected_size:
                raise ChecksumMismatch(f"expected {expected_size} bytes, got {info.size}")
            final = self.path(info.sha256)
            if final.exists():
                tmp.unlink()
                return info
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return info
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def stat(self, sha256: str) -> BlobInfo:
        try:
            return BlobInfo(sha256, self.path(sha256).stat().st_size)
        except FileNotFoundError:
            raise BlobNotFound(f"blob {sha256} is not stored here") from None

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self.path(sha256)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"blob {sha256} is not stored here") from None
        return self._stream(handle, start, end)

    @staticmethod
    def _stream(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
        with handle as f:
            f.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                data = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not data:
                    return
                if remaining is not None:
                    remaining -= len(data)
                yield data

    def delete(self, sha256: str) -> bool:
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def list(self) -> Iterator[BlobInfo]:
        for first in sorted(self.root.iterdir()):
            if first.name.startswith(".") or not first.is_dir():
                continue
            for path in sorted(first.glob("*/*")):
                if SHA256_HEX.match(path.name):
                    yield BlobInfo(path.name, path.stat().st_size)

    def verify(self, sha256: str) -> bool:
        digest = hashlib.sha256()
        for chunk in self.read(sha256):
            digest.update(chunk)
        if digest.hexdigest() == sha256:
            return True
        self.corrupt.mkdir(exist_ok=True)
        try:
            os.replace(self.path(sha256), self.corrupt / sha256)
        except OSError as exc:
            raise StorageError(f"could not quarantine corrupt blob {sha256}: {exc}") from exc
        return False
