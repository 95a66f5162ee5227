"""Opening product packages safely: .tar.gz, .tar, .zip and plain folders.

A package is listed and its small files (metadata, RPC, quicklooks) are read into memory in one
streaming pass; images are never unpacked unless a quicklook has to be rendered from one, and
then only to a temporary file. Anything unsafe stops the pass with ``UnsafePackage``:

* member paths that are absolute, climb out with ``..``, or contain NUL or backslashes;
* symbolic or hard links, devices, FIFOs — anything but regular files and folders;
* more than ``max_members`` files, more than ``max_unpacked`` bytes unpacked, or an unpacked size
  out of all proportion to the compressed one (a zip or gzip bomb).

Damaged archives (truncated gzip, bad zip directory, empty file) are ``MalformedPackage``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from eonode.errors import MalformedPackage, UnsafePackage
from eonode.ingest.model import ARCHIVE_SUFFIXES, SMALL_MEMBER_LIMIT, Member, bare_name

SMALL_SUFFIXES = (
    ".xml",
    ".rpb",
    ".rpc",
    ".txt",
    ".json",
    ".jpg",
    ".jpeg",
    ".png",
    ".gcp",
    ".prj",
    ".dbf",
    ".shx",
    ".shp",
    ".meta",
    ".yaml",
    ".yml",
    ".md",
)
CHUNK = 1024 * 1024
HEAD_BYTES = 16


@dataclass(frozen=True, slots=True)
class Limits:
    max_members: int = 10_000
    max_unpacked: int = 64 * 1024**3
    max_ratio: float = 200.0  # unpacked / packed, checked once the unpacked size passes ratio_floor
    ratio_floor: int = 256 * 1024**2
    max_small_total: int = 256 * 1024**2  # all small files kept in memory together


def product_name(path: Path) -> str:
    return bare_name(path.name)


def is_package(path: Path) -> bool:
    return path.is_dir() or path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _clean_path(raw: str, package: str) -> str:
    """A member path made relative and checked; raises UnsafePackage."""
    if "\x00" in raw or "\\" in raw:
        raise UnsafePackage(f"{package}: member name {raw!r} contains a NUL byte or a backslash")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafePackage(f"{package}: member {raw!r} has an absolute path")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePackage(f"{package}: member {raw!r} climbs out of the package with '..'")
    return "/".join(parts)


def _wants_bytes(path: str, size: int) -> bool:
    return size <= SMALL_MEMBER_LIMIT and path.lower().endswith(SMALL_SUFFIXES)


class Package:
    """A package on disk: its listing, its small files, and access to big ones."""

    def __init__(self, path: Path, limits: Limits | None = None) -> None:
        self.path = path
        self.limits = limits or Limits()
        self._name = product_name(path)
        self._members: list[Member] = []
        self._seen: set[str] = set()
        self._unpacked = 0
        self._small: dict[str, bytes] = {}
        self._small_total = 0
        self._heads: dict[str, bytes] = {}  # the first bytes of every large member (file-type checks)
        self._scan()

    # -- PackageContents ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def members(self) -> list[Member]:
        return self._members

    def read(self, member: Member | str) -> bytes:
        path = member if isinstance(member, str) else member.path
        if path in self._small:
            return self._small[path]
        known = next((m for m in self._members if m.path == path), None)
        if known is None:
            raise MalformedPackage(f"{self.name}: no member {path!r}")
        if known.size > SMALL_MEMBER_LIMIT:
            raise MalformedPackage(f"{self.name}: {path} is too large to read into memory ({known.size} bytes)")
        with self.open_member(path) as f:
            data = f.read(SMALL_MEMBER_LIMIT + 1)
        if len(data) != known.size:
            raise MalformedPackage(f"{self.name}: {path} is truncated")
        return data

    def head(self, path: str) -> bytes:
        """The first HEAD_BYTES bytes of a member (enough to tell a TIFF or NetCDF file)."""
        if path in self._small:
            return self._small[path][:HEAD_BYTES]
        if path not in self._heads:
            raise MalformedPackage(f"{self.name}: no member {path!r}")
        return self._heads[path]

    # -- the package as a whole -----------------------------------------------------------------
    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "dir"
        lower = self.path.name.lower()
        if lower.endswith((".tar.gz", ".tgz")):
            return "tar.gz"
        return "zip" if lower.endswith(".zip") else "tar"

    def chunks(self) -> Iterator[bytes]:
        """The package's bytes, streamed (a folder is streamed as a tar of its files)."""
        if self.kind != "dir":
            with self.path.open("rb") as f:
                while data := f.read(CHUNK):
                    yield data
            return
        yield from _tar_stream(self.path, [m.path for m in self._members])

    def extract(self, member: str, target: Path) -> None:
        """Copy one member (any size) to ``target``, streaming."""
        with self.open_member(member) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)

    # -- scanning ---------------------------------------------------------------------------
    def _scan(self) -> None:
        if not self.path.exists():
            raise MalformedPackage(f"{self.name}: the package is gone")
        if self.path.is_symlink():
            raise UnsafePackage(f"{self.name}: the package itself is a symbolic link")
        kind = self.kind
        if kind != "dir" and self.path.stat().st_size == 0:
            raise MalformedPackage(f"{self.name}: the package file is empty")
        try:
            if kind == "dir":
                self._scan_dir()
            elif kind == "zip":
                self._scan_zip()
            else:
                self._scan_tar("r|gz" if kind == "tar.gz" else "r|")
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise MalformedPackage(f"{self.name}: the {kind} archive is damaged ({exc})") from None
        if not self._members:
            raise MalformedPackage(f"{self.name}: the package holds no files")

    def _add(self, raw: str, size: int, packed: int) -> str:
        path = _clean_path(raw, self.name)
        if not path:
            raise UnsafePackage(f"{self.name}: a member has an empty name")
        if path in self._seen:
            raise UnsafePackage(f"{self.name}: member {path!r} appears twice")
        self._seen.add(path)
        self._members.append(Member(path, size))
        if len(self._members) > self.limits.max_members:
            raise UnsafePackage(f"{self.name}: more than {self.limits.max_members} files")
        self._unpacked += size
        total = self._unpacked
        if total > self.limits.max_unpacked:
            raise UnsafePackage(f"{self.name}: more than {self.limits.max_unpacked} bytes when unpacked")
        if total > self.limits.ratio_floor and packed and total / packed > self.limits.max_ratio:
            raise UnsafePackage(
                f"{self.name}: unpacks to {total} bytes from {packed} ({total / packed:.0f}x): a decompression bomb?"
            )
        return path

    def _keep(self, path: str, data: bytes) -> None:
        self._small[path] = data
        self._small_total += len(data)
        if self._small_total > self.limits.max_small_total:
            raise UnsafePackage(f"{self.name}: its metadata files are implausibly large")

    def _scan_tar(self, mode: str) -> None:
        packed = self.path.stat().st_size
        with self.path.open("rb") as raw, tarfile.open(fileobj=raw, mode=mode) as tar:  # type: ignore[call-overload]
            for info in tar:
                if info.isdir():
                    _clean_path(info.name, self.name)
                    continue
                if not info.isreg():
                    kind = "link" if (info.issym() or info.islnk()) else "device or special file"
                    raise UnsafePackage(f"{self.name}: member {info.name!r} is a {kind}")
                path = self._add(info.name, info.size, packed)
                if _wants_bytes(path, info.size):
                    f = tar.extractfile(info)
                    assert f is not None
                    data = f.read()
                    if len(data) != info.size:
                        raise MalformedPackage(f"{self.name}: {path} is truncated")
                    self._keep(path, data)
                else:
                    f = tar.extractfile(info)
                    assert f is not None
                    self._heads[path] = f.read(HEAD_BYTES)

    def _scan_zip(self) -> None:
        packed = self.path.stat().st_size
        with zipfile.ZipFile(self.path) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16  # Unix mode, when the archiver recorded one
                if info.is_dir():
                    _clean_path(info.filename, self.name)
                    continue
                if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    raise UnsafePackage(f"{self.name}: member {info.filename!r} is a link or special file")
                path = self._add(info.filename, info.file_size, packed)
                if _wants_bytes(path, info.file_size):
                    with zf.open(info) as f:
                        data = f.read(info.file_size + 1)
                    if len(data) != info.file_size:
                        raise MalformedPackage(f"{self.name}: {path} does not match its declared size")
                    self._keep(path, data)
                else:
                    with zf.open(info) as f:
                        self._heads[path] = f.read(HEAD_BYTES)

    def _scan_dir(self) -> None:
        root = self.path
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for d in dirnames:
                if (Path(dirpath) / d).is_symlink():
                    raise UnsafePackage(f"{self.name}: {d!r} is a symbolic link")
            for fname in sorted(filenames):
                full = Path(dirpath) / fname
                st = full.lstat()
                rel = full.relative_to(root).as_posix()
                if not stat.S_ISREG(st.st_mode):
                    raise UnsafePackage(f"{self.name}: {rel!r} is a link or special file")
                path = self._add(rel, st.st_size, 0)
                if _wants_bytes(path, st.st_size):
                    self._keep(path, full.read_bytes())
                else:
                    with full.open("rb") as f:
                        self._heads[path] = f.read(HEAD_BYTES)
        self._members.sort(key=lambda m: m.path)

    # -- member access ----------------------------------------------------------------------
    def open_member(self, path: str) -> _MemberReader:
        return _MemberReader(self, path)


class _MemberReader:
    """A readable stream of one member (tar members are found by streaming through the archive)."""

    def __init__(self, package: Package, path: str) -> None:
        self.package = package
        self.path = path
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> IO[bytes]:
        try:
            return self._stack.enter_context(self._open())
        except BaseException:
            self._stack.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _open(self) -> IO[bytes]:
        pkg = self.package
        if not any(m.path == self.path for m in pkg.members):
            raise MalformedPackage(f"{pkg.name}: no member {self.path!r}")
        kind = pkg.kind
        if kind == "dir":
            return (pkg.path / self.path).open("rb")
        if kind == "zip":
            zf = self._stack.enter_context(zipfile.ZipFile(pkg.path))
            return zf.open(_zip_name(zf, self.path))
        raw = self._stack.enter_context(pkg.path.open("rb"))
        mode = "r|gz" if kind == "tar.gz" else "r|"
        opened = tarfile.open(fileobj=raw, mode=mode)  # type: ignore[call-overload]  # noqa: SIM115
        tar: tarfile.TarFile = self._stack.enter_context(opened)
        for info in tar:
            if info.isreg() and _clean_path(info.name, pkg.name) == self.path:
                stream = tar.extractfile(info)
                if stream is not None:
                    return stream
        raise MalformedPackage(f"{pkg.name}: member {self.path!r} not found on a second read")


def _zip_name(zf: zipfile.ZipFile, path: str) -> str:
    for info in zf.infolist():
        if "/".join(p for p in info.filename.split("/") if p not in ("", ".")) == path:
            return info.filename
    raise MalformedPackage(f"member {path!r} not in the zip archive")


def _tar_stream(root: Path, members: list[str]) -> Iterator[bytes]:
    """An uncompressed tar of a folder's files, generated in chunks (bounded memory)."""
    buffer = _ChunkSink()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for rel in members:
            full = root / rel
            info = tar.gettarinfo(str(full), arcname=posixpath.join(root.name, rel))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with full.open("rb") as f:
                tar.addfile(info, f)
                yield from buffer.drain()
    yield from buffer.drain()


class _ChunkSink:
    """A write-only file object that hands written bytes on in chunks."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> Iterator[bytes]:
        parts, self._parts = self._parts, []
        yield from parts

    def close(self) -> None:
        pass

    def flush(self) -> None:
        pass
