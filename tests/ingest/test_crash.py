"""Kill the ingest process at random moments; after each restart every package is either
catalogued completely or still waiting in the inbox (or quarantined with its reason)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eonode.demo.packages import generate, generate_package
from eonode.errors import ItemNotFound
from eonode.ingest.packages import product_name
from eonode.storage.store import blob_digest
from tests.ingest.conftest import digest_of, open_node

pytestmark = [pytest.mark.slow, pytest.mark.server]

FAMILY_COUNT = 40


def _deliver(originals: Path, inbox: Path) -> dict[str, str]:
    """Packages delivered the way a processing system does it: copied under a partial name, renamed."""
    paths = generate(originals, count=FAMILY_COUNT, seed=7)
    paths.append(generate_package("thematic", 3, out_dir=originals, fmt="zip", quicklooks=False))
    paths.append(generate_package("zy3-sasmac", 2, out_dir=originals, fmt="dir"))
    broken = originals / "GF1_WFV2_E110.1_N30.2_20200101_L1A0004000001.tar.gz"
    broken.write_bytes(b"\x1f\x8b" + os.urandom(3000))
    paths.append(broken)
    shas = {p.name: digest_of(p) for p in paths}
    for path in paths:
        if path.is_dir():
            shutil.copytree(path, inbox / f"{path.name}.part")
        else:
            shutil.copy(path, inbox / f"{path.name}.part")
        os.rename(inbox / f"{path.name}.part", inbox / path.name)
    return shas


def _check(data_dir: Path, inbox: Path, shas: dict[str, str]) -> dict[str, str]:
    """Where each package is now; fails on any package lost or half-catalogued."""
    node = open_node(data_dir)
    where: dict[str, str] = {}
    try:
        items = {doc["id"]: doc for doc in _all_items(node)}
        for name, sha in shas.items():
            item = items.get(product_name(Path(name)))
            if item is not None:
                for key, asset in item["assets"].items():
                    digest = blob_digest(asset["href"])
                    assert digest is not None and node.blobs.exists(digest), f"{name}: asset {key} not stored"
                    assert node.blobs.stat(digest).size == asset["file:size"]
                if not _is_folder_name(name):  # a folder is stored as a tar of its files
                    assert blob_digest(item["assets"]["data"]["href"]) == sha, f"{name}: wrong package bytes"
                where[name] = "catalogued"
                continue
            assert not (inbox / ".done" / name).exists(), f"{name} marked done but not catalogued"
            for place in (inbox, inbox / ".processing", data_dir / "quarantine"):
                if (place / name).exists():
                    assert digest_of(place / name) == sha, f"{name}: damaged in {place}"
                    where[name] = place.name
                    break
            else:
                raise AssertionError(f"{name} is lost: not catalogued, not in the inbox, not in quarantine")
    finally:
        node.close()
    return where


def _all_items(node: object) -> list[dict]:
    from eonode.models.search import SearchQuery

    catalog = node.catalog  # type: ignore[attr-defined]
    page = catalog.search(SearchQuery(limit=1000))
    return list(page.items)


def _watch(data_dir: Path, inbox: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EONODE_LOG_LEVEL": "warning", "EONODE_INBOX_POLL_SECONDS": "0.1"}
    cmd = [sys.executable, "-m", "eonode", "ingest", "--watch", str(inbox), "--settle", "0"]
    cmd += ["--data-dir", str(data_dir)]
    return subprocess.Popen([*cmd, *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _is_folder_name(name: str) -> bool:
    return not name.endswith((".tar.gz", ".tgz", ".tar", ".zip"))


def _state(inbox: Path) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(p.name for p in folder.iterdir()) for folder in (inbox, inbox / ".processing"))


def test_killing_the_ingest_process_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    data_dir, inbox, originals = tmp_path / "node", tmp_path / "inbox", tmp_path / "originals"
    inbox.mkdir()
    originals.mkdir()
    shas = _deliver(originals, inbox)
    (inbox / ".processing").mkdir()  # what the worker makes first; watched to see it at work
    rng = random.Random(20261121)
    kills_during_work = 0
    for round_ in range(12):
        before = _state(inbox)
        process = _watch(data_dir, inbox)
        if round_ % 3 == 2:
            time.sleep(rng.uniform(0.05, 1.2))  # at start-up, while opening the node, or early in a round
        else:  # while it works: just after it claims a package, a few milliseconds to a third of a second in
            deadline = time.monotonic() + 30
            while _state(inbox) == before and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        where = _check(data_dir, inbox, shas)
        done = all(place in ("catalogued", "quarantine") for place in where.values())
        kills_during_work += round_ % 3 != 2 and not done
        if done:
            break
    assert kills_during_work >= 2, "the batch finished before the process could be killed at work"
    final = _watch(data_dir, inbox, "--once")
    assert final.wait(120) == 0  # refusing a package is not a failure of the worker
    where = _check(data_dir, inbox, shas)
    broken = "GF1_WFV2_E110.1_N30.2_20200101_L1A0004000001.tar.gz"
    assert where == {name: ("quarantine" if name == broken else "catalogued") for name in shas}
    assert (data_dir / "quarantine" / f"{broken}.reason.json").exists()
    # besides the worker's folders and lock, only its status file (and, after a kill in the middle
    # of rewriting it, the temporary copy the next round overwrites)
    left = {p.name for p in inbox.iterdir()} - {".worker.json", ".worker.json.tmp"}
    assert sorted(left) == [".done", ".lock", ".processing"]
    node = open_node(data_dir)
    try:
        with pytest.raises(ItemNotFound):
            node.catalog.get_item("gf1-wfv-l1a", product_name(Path(broken)))
    finally:
        node.close()
