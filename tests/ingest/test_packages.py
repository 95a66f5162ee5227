"""Opening packages safely: every kind, every hostile or damaged archive."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from eonode.errors import MalformedPackage, UnsafePackage
from eonode.ingest.packages import Limits, Package, is_package, product_name
from tests.ingest import badpackages as bad

NAME = "GF1_PMS1_E114.6_N22.7_20181006_L1A0003680028"
XML = b'<?xml version="1.0" encoding="UTF-8"?><ProductMetaData><SatelliteID>GF1</SatelliteID></ProductMetaData>'
TIFF = b"II*\x00" + os.urandom(200_000)


def _folder(root: Path) -> Path:
    folder = root / NAME
    folder.mkdir()
    (folder / f"{NAME}-MSS1.xml").write_bytes(XML)
    (folder / f"{NAME}-MSS1.tiff").write_bytes(TIFF)
    return folder


def _archives(tmp_path: Path) -> dict[str, Path]:
    src = _folder(tmp_path / "src" if (tmp_path / "src").mkdir() is None else tmp_path)
    out: dict[str, Path] = {"dir": src}
    for kind, mode in (("tar.gz", "w:gz"), ("tar", "w")):
        path = tmp_path / f"{NAME}.{kind}"
        with tarfile.open(path, mode) as tar:
            tar.add(src, arcname=NAME)
        out[kind] = path
    path = tmp_path / f"{NAME}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, f"{NAME}/{f.name}")
    out["zip"] = path
    return out


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip", "dir"])
def test_every_kind_lists_reads_and_streams(tmp_path: Path, kind: str) -> None:
    path = _archives(tmp_path)[kind]
    pkg = Package(path)
    assert pkg.name == NAME
    assert pkg.kind == kind
    names = sorted(m.name for m in pkg.members)
    assert names == [f"{NAME}-MSS1.tiff", f"{NAME}-MSS1.xml"]
    xml = next(m for m in pkg.members if m.name.endswith(".xml"))
    tiff = next(m for m in pkg.members if m.name.endswith(".tiff"))
    assert pkg.read(xml) == XML
    assert tiff.size == len(TIFF)
    assert pkg.head(tiff.path) == TIFF[:16]
    with pkg.open_member(tiff.path) as f:
        assert f.read() == TIFF
    target = tmp_path / "extracted.tiff"
    pkg.extract(tiff.path, target)
    assert target.read_bytes() == TIFF
    streamed = b"".join(pkg.chunks())
    if kind == "dir":  # a folder streams as a tar holding its files under the folder name
        with tarfile.open(fileobj=io.BytesIO(streamed)) as tar:
            assert sorted(tar.getnames()) == sorted(f"{NAME}/{n}" for n in names)
            member = tar.extractfile(f"{NAME}/{NAME}-MSS1.tiff")
            assert member is not None and member.read() == TIFF
    else:
        assert hashlib.sha256(streamed).digest() == hashlib.sha256(path.read_bytes()).digest()


def test_folder_stream_is_the_same_twice(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert b"".join(Package(folder).chunks()) == b"".join(Package(folder).chunks())


def test_names_and_kinds() -> None:
    assert product_name(Path(f"{NAME}.tar.gz")) == NAME
    assert product_name(Path(f"{NAME}.TGZ")) == NAME
    assert product_name(Path(f"{NAME}.zip")) == NAME
    assert is_package(Path("x.tar.gz")) and is_package(Path("x.tar")) and is_package(Path("x.zip"))
    assert not is_package(Path("x.txt")) and not is_package(Path("x.tar.gz.md5"))


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("../../evil.xml", b"x")], "climbs out"),
        ([("ok/../../evil.xml", b"x")], "climbs out"),
        ([("/etc/evil.xml", b"x")], "absolute path"),
        ([("C:/evil.xml", b"x")], "absolute path"),
        ([("a\\..\\evil.xml", b"x")], "backslash"),
        ([bad.link(f"{NAME}/x.xml", "/etc/passwd")], "link"),
        ([bad.link(f"{NAME}/x.xml", f"{NAME}/y.xml", hard=True)], "link"),
        ([bad.device(f"{NAME}/null")], "device"),
        ([bad.fifo(f"{NAME}/pipe")], "device"),
        ([(f"{NAME}/a.xml", b"1"), (f"{NAME}/a.xml", b"2")], "appears twice"),
    ],
)
def test_unsafe_tar_members_are_refused(tmp_path: Path, members: list, message: str) -> None:
    path = bad.tar_with(tmp_path / f"{NAME}.tar.gz", members)
    with pytest.raises(UnsafePackage, match=message):
        Package(path)
    assert not (tmp_path.parent / "evil.xml").exists()


def test_unsafe_zip_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / f"{NAME}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../evil.xml", b"x")
    with pytest.raises(UnsafePackage, match="climbs out"):
        Package(path)
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo(f"{NAME}/link.xml")
        info.create_system = 3
        info.external_attr = 0o120777 << 16  # a symbolic link
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafePackage, match="link"):
        Package(path)


def test_symlinks_inside_a_folder_package_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "escape.xml").symlink_to("/etc/passwd")
    with pytest.raises(UnsafePackage, match="link"):
        Package(folder)
    (folder / "escape.xml").unlink()
    (folder / "sub").symlink_to("/etc", target_is_directory=True)
    with pytest.raises(UnsafePackage, match="symbolic link"):
        Package(folder)


def test_a_package_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = _archives(tmp_path)["tar.gz"]
    alias = tmp_path / "alias.tar.gz"
    alias.symlink_to(real)
    with pytest.raises(UnsafePackage, match="symbolic link"):
        Package(alias)


def test_zip_bomb_is_refused_by_the_default_limits(tmp_path: Path) -> None:
    path = bad.zip_bomb(tmp_path / f"{NAME}.zip", f"{NAME}/{NAME}-MSS1.tiff")
    assert path.stat().st_size < 2_000_000
    with pytest.raises(UnsafePackage, match="decompression bomb"):
        Package(path)


def test_gzip_bomb_is_refused_by_the_default_limits(tmp_path: Path) -> None:
    path = bad.gzip_bomb(tmp_path / f"{NAME}.tar.gz", f"{NAME}/{NAME}-MSS1.tiff")
    with pytest.raises(UnsafePackage, match="decompression bomb"):
        Package(path)


def test_file_count_and_unpacked_size_are_bounded(tmp_path: Path) -> None:
    path = bad.tar_with(tmp_path / f"{NAME}.tar", [(f"{NAME}/{i}.txt", b"x" * 100) for i in range(51)], "w")
    with pytest.raises(UnsafePackage, match="more than 50 files"):
        Package(path, Limits(max_members=50))
    with pytest.raises(UnsafePackage, match="more than 5000 bytes"):
        Package(path, Limits(max_unpacked=5000))
    assert len(Package(path).members) == 51


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip"])
def test_truncated_archives_are_malformed(tmp_path: Path, kind: str) -> None:
    source = _archives(tmp_path)[kind]
    broken = bad.truncated(source, tmp_path / "broken" / source.name) if (tmp_path / "broken").mkdir() is None else None
    assert broken is not None
    with pytest.raises(MalformedPackage):
        Package(broken)


def test_empty_and_garbage_files_are_malformed(tmp_path: Path) -> None:
    empty = tmp_path / f"{NAME}.tar.gz"
    empty.write_bytes(b"")
    with pytest.raises(MalformedPackage, match="empty"):
        Package(empty)
    garbage = tmp_path / f"{NAME}.zip"
    garbage.write_bytes(os.urandom(5000))
    with pytest.raises(MalformedPackage, match="damaged"):
        Package(garbage)
    no_files = bad.tar_with(tmp_path / f"{NAME}.tar", [], "w")
    with pytest.raises(MalformedPackage, match="no files"):
        Package(no_files)


def test_members_that_are_not_there_are_reported(tmp_path: Path) -> None:
    for path in _archives(tmp_path).values():
        pkg = Package(path)
        with pytest.raises(MalformedPackage), pkg.open_member("../../etc/passwd"):
            pass
        with pytest.raises(MalformedPackage):
            pkg.read("nope.xml")
