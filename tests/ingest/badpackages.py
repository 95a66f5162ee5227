"""Builders of hostile and damaged packages, for the package and inbox tests."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

BOMB_BYTES = 300 * 1024 * 1024  # zeros: compresses about 1000:1


def tar_with(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def device(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info


def fifo(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.FIFOTYPE
    return info


def zip_bomb(path: Path, inner: str) -> Path:
    """A zip whose one member unpacks to BOMB_BYTES from about 300 KB, written in chunks."""
    chunk = bytes(8 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(inner, "w", force_zip64=True) as f:
        for _ in range(BOMB_BYTES // len(chunk)):
            f.write(chunk)
    return path


def gzip_bomb(path: Path, inner: str) -> Path:
    """A tar.gz whose member unpacks to BOMB_BYTES."""

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = BOMB_BYTES

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), self.left)
            buffer[:n] = bytes(n)
            self.left -= n
            return n

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo(inner)
        info.size = BOMB_BYTES
        tar.addfile(info, io.BufferedReader(Zeros(), 8 * 1024 * 1024))
    return path


def truncated(source: Path, target: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target
