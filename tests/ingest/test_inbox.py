"""The inbox: settled deliveries are catalogued, refused ones quarantined with reasons, nothing lost."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from eonode.demo.packages import generate_package
from eonode.errors import StorageError
from eonode.ingest.inbox import Inbox
from eonode.node import Node
from tests.ingest import badpackages as bad
from tests.ingest.conftest import digest_of, open_node


def _inbox(node: Node, tmp_path: Path, settle: float = 0.0, clock: object = None) -> Inbox:
    inbox = Inbox(
        node.ingester(),
        tmp_path / "inbox",
        node.settings.effective_quarantine_dir,
        settle_seconds=settle,
        **({"clock": clock} if clock else {}),  # type: ignore[arg-type]
    )
    return inbox


def _unpacked(path: Path, out: Path) -> Path:
    with tarfile.open(path) as tar:
        tar.extractall(out, filter="data")
    return next(out.iterdir())


def _retar(folder: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return target


def _bad_corpus(work: Path, inbox: Path) -> dict[str, str]:
    """Writes the hostile and damaged deliveries into ``inbox``; returns name -> expected code."""
    src = work / "src"
    src.mkdir()
    expected: dict[str, str] = {}

    good = generate_package("gf1-pms", 20, out_dir=src)
    name = good.name.removesuffix(".tar.gz")
    bad.truncated(good, inbox / good.name)
    expected[good.name] = "MalformedPackage"

    other = generate_package("gf2-pms", 21, out_dir=src)
    stem = other.name.removesuffix(".tar.gz")
    bad.tar_with(inbox / other.name, [(f"{stem}/{stem}-MSS1.xml", b"<a/>"), ("../../evil.xml", b"escaped!")])
    expected[other.name] = "UnsafePackage"

    linked = generate_package("gf6-pms", 22, out_dir=src)
    stem = linked.name.removesuffix(".tar.gz")
    bad.tar_with(inbox / linked.name, [bad.link(f"{stem}/{stem}.xml", "/etc/passwd")])
    expected[linked.name] = "UnsafePackage"

    folder = _unpacked(generate_package("gf1-wfv", 23, out_dir=src), work / "nometa")
    for xml in folder.rglob("*.xml"):
        xml.unlink()
    _retar(folder, inbox / f"{folder.name}.tar.gz")
    expected[f"{folder.name}.tar.gz"] = "MissingMetadata"

    folder = _unpacked(generate_package("gf6-wfv", 24, out_dir=src), work / "encoding")
    for xml in folder.rglob("*.xml"):
        xml.write_bytes(xml.read_text(encoding="utf-8", errors="replace").encode("utf-16-le"))
    _retar(folder, inbox / f"{folder.name}.tar.gz")
    expected[f"{folder.name}.tar.gz"] = "InvalidMetadata"

    zero = inbox / "GF1_WFV2_E110.1_N30.2_20200101_L1A0004000001.tar.gz"
    zero.write_bytes(b"")
    expected[zero.name] = "MalformedPackage"

    bomb = bad.zip_bomb(inbox / f"{name.replace('L1A', 'L1A9')}.zip", "x/x.tiff")
    expected[bomb.name] = "UnsafePackage"

    (inbox / "notes.txt").write_text("not a package")
    expected["notes.txt"] = "NotAPackage"

    unknown = bad.tar_with(inbox / "HELLO_WORLD.tar.gz", [("HELLO_WORLD/readme.xml", b"<a/>")])
    expected[unknown.name] = "UnknownProduct"

    sums = generate_package("zy3-cresda", 25, out_dir=inbox)
    (inbox / f"{sums.name}.md5").write_text(f"{'0' * 32}  {sums.name}\n")
    expected[sums.name] = "PackageChecksumMismatch"
    return expected


def test_good_packages_are_catalogued_and_bad_ones_quarantined_with_reasons(sqlite_node: Node, tmp_path: Path) -> None:
    inbox = _inbox(sqlite_node, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    expected = _bad_corpus(work, inbox.inbox)
    good = [generate_package(f, 30 + k, out_dir=inbox.inbox) for k, f in enumerate(["gf1-pms", "gf2-pms", "hy1-cocts"])]
    good_sum = good[0].with_name(good[0].name + ".sha256")
    good_sum.write_text(f"{hashlib.sha256(good[0].read_bytes()).hexdigest()}  {good[0].name}\n")
    originals = {p.name: digest_of(p) for p in inbox.inbox.iterdir() if not p.name.startswith(".")}

    report = inbox.run_once()

    assert sorted(r.name for r in report.ingested) == sorted(p.name.removesuffix(".tar.gz") for p in good)
    assert {f.name: f.code for f in report.failed} == expected
    assert all(f.quarantined_as is not None for f in report.failed)
    assert sqlite_node.catalog.item_count() == 3
    left = sorted(p.name for p in inbox.inbox.iterdir())
    assert left == [".done", ".lock", ".processing"]
    assert not any(inbox.processing.iterdir()) and not any(inbox.done.iterdir())
    quarantine = inbox.quarantine
    for name, code in expected.items():
        assert digest_of(quarantine / name) == originals[name], name  # nothing lost: the bytes as delivered
        reason = json.loads((quarantine / f"{name}.reason.json").read_text())
        assert reason["code"] == code and reason["package"] == name and reason["reason"]
    assert (quarantine / next(n for n in expected if expected[n] == "PackageChecksumMismatch")).exists()
    assert list(tmp_path.rglob("evil.xml")) == []  # nothing extracted, anywhere
    assert not (tmp_path.parent / "evil.xml").exists()


def test_partial_and_unsettled_deliveries_wait(sqlite_node: Node, tmp_path: Path) -> None:
    now = [1_000_000_000.0]
    inbox = _inbox(sqlite_node, tmp_path, settle=10, clock=lambda: now[0])
    path = generate_package("gf1-pms", 40, out_dir=tmp_path)
    copying = inbox.inbox / (path.name + ".part")
    shutil.copy(path, copying)
    hidden = inbox.inbox / ("." + path.name)
    shutil.copy(path, hidden)
    os.utime(copying, (now[0] - 100, now[0] - 100))
    os.utime(hidden, (now[0] - 100, now[0] - 100))
    assert inbox.run_once().ingested == []  # partial-copy and hidden names are never picked up
    delivered = inbox.inbox / path.name
    os.rename(copying, delivered)  # the copy finished: renamed into its final name
    os.utime(delivered, (now[0] - 2, now[0] - 2))
    first = inbox.run_once()
    assert first.ingested == [] and first.waiting == 1  # changed 2 s ago: not settled
    now[0] += 20
    assert [r.item_id for r in inbox.run_once().ingested] == [path.name.removesuffix(".tar.gz")]
    assert hidden.exists()


def test_a_growing_file_is_not_picked_up(sqlite_node: Node, tmp_path: Path) -> None:
    now = [2_000_000_000.0]
    inbox = _inbox(sqlite_node, tmp_path, settle=5, clock=lambda: now[0])
    path = generate_package("gf1-pms", 41, out_dir=tmp_path)
    data = path.read_bytes()
    target = inbox.inbox / path.name
    target.write_bytes(data[:1000])
    os.utime(target, (now[0] - 60, now[0] - 60))  # an old mtime, as some copy tools set first
    assert inbox.run_once().ingested == []  # first sight: remembered, not trusted yet
    with target.open("ab") as f:
        f.write(data[1000:])
    os.utime(target, (now[0] - 60, now[0] - 60))
    assert inbox.run_once().ingested == []  # the size changed since the last look
    now[0] += 10
    assert len(inbox.run_once().ingested) == 1


def test_a_folder_package_waits_until_its_files_stop_changing(sqlite_node: Node, tmp_path: Path) -> None:
    now = [3_000_000_000.0]
    inbox = _inbox(sqlite_node, tmp_path, settle=5, clock=lambda: now[0])
    folder = generate_package("zy3-sasmac", 42, out_dir=inbox.inbox, fmt="dir")
    for f in [folder, *folder.rglob("*")]:
        os.utime(f, (now[0] - 60, now[0] - 60))
    assert inbox.run_once().ingested == []
    (folder / "late-file.txt").write_text("still copying")
    os.utime(folder / "late-file.txt", (now[0] - 1, now[0] - 1))
    assert inbox.run_once().ingested == []
    now[0] += 10
    assert len(inbox.run_once().ingested) == 1
    assert not folder.exists()


def test_interrupted_work_is_finished_after_a_restart(sqlite_node: Node, tmp_path: Path) -> None:
    inbox = _inbox(sqlite_node, tmp_path)
    claimed = generate_package("gf2-pms", 43, out_dir=inbox.processing)  # claimed, then the process died
    finished = generate_package("gf1-pms", 44, out_dir=inbox.done, fmt="dir")  # catalogued, removal cut short
    (finished / "half-deleted").mkdir()
    report = inbox.run_once()
    assert [r.item_id for r in report.ingested] == [claimed.name.removesuffix(".tar.gz")]
    assert not any(inbox.processing.iterdir()) and not any(inbox.done.iterdir())


def test_a_node_failure_leaves_the_package_in_the_inbox_for_a_retry(
    sqlite_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [4_000_000_000.0]
    inbox = _inbox(sqlite_node, tmp_path, clock=lambda: now[0])
    path = generate_package("gf1-pms", 45, out_dir=inbox.inbox)
    original = digest_of(path)
    real_put = inbox.ingester.blobs.put

    def failing_put(*args: object, **kwargs: object) -> object:
        raise StorageError("disk full")

    monkeypatch.setattr(inbox.ingester.blobs, "put", failing_put)
    report = inbox.run_once()
    assert [(f.code, f.retry, f.quarantined_as) for f in report.failed] == [("StorageError", True, None)]
    assert digest_of(inbox.inbox / path.name) == original
    assert sqlite_node.catalog.item_count() == 0
    monkeypatch.setattr(inbox.ingester.blobs, "put", real_put)
    assert inbox.run_once().ingested == []  # backing off
    now[0] += 6
    assert len(inbox.run_once().ingested) == 1
    assert not (inbox.quarantine / path.name).exists()


def test_one_worker_per_inbox(sqlite_node: Node, tmp_path: Path) -> None:
    first = _inbox(sqlite_node, tmp_path)
    second = _inbox(sqlite_node, tmp_path)
    assert first.try_lock()
    assert not second.try_lock()
    with pytest.raises(RuntimeError, match="another worker"):
        second.run_once()
    first.unlock()
    assert second.try_lock()
    second.unlock()


def test_a_quarantined_name_is_never_overwritten(sqlite_node: Node, tmp_path: Path) -> None:
    inbox = _inbox(sqlite_node, tmp_path)
    for round_ in range(3):
        (inbox.inbox / "HELLO_WORLD.tar.gz").write_bytes(f"attempt {round_}".encode())
        inbox.run_once()
    names = sorted(p.name for p in inbox.quarantine.iterdir() if not p.name.endswith(".reason.json"))
    assert names == ["HELLO_WORLD.tar.gz", "HELLO_WORLD~1.tar.gz", "HELLO_WORLD~2.tar.gz"]
    contents = sorted((inbox.quarantine / n).read_text() for n in names)
    assert contents == ["attempt 0", "attempt 1", "attempt 2"]


def test_the_cli_ingests_paths_in_place(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from eonode.cli.main import app

    folder = tmp_path / "deliveries"
    good = generate_package("gf1-pms", 46, out_dir=folder)
    broken = folder / "GF1_WFV1_E73.2_N39.7_20131008_L1A0000095560.tar.gz"
    broken.write_bytes(b"garbage")
    runner = CliRunner()
    data_dir = tmp_path / "node"
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "created" in result.output and "MalformedPackage" in result.output
    assert good.exists() and broken.exists()  # paths are ingested in place, never moved
    result = runner.invoke(app, ["ingest", str(good), "--data-dir", str(data_dir)])
    assert result.exit_code == 0 and "unchanged" in result.output
    result = runner.invoke(app, ["ingest", str(broken), "--quarantine", "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and not broken.exists()
    assert (data_dir / "quarantine" / f"{broken.name}.reason.json").exists()
    node = open_node(data_dir)
    try:
        assert node.catalog.item_count() == 1
    finally:
        node.close()
