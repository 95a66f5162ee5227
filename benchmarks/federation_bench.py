"""Federation benchmark: real `eonode serve` processes over loopback, enrolled and approved as in
production (`eonode node join`, then `POST /admin/nodes/{id}/approve`).

    python benchmarks/federation_bench.py --part all
    python benchmarks/federation_bench.py --part push --products 200
    python benchmarks/federation_bench.py --part transfer --gib 2
    python benchmarks/federation_bench.py --part catchup --catchup-items 100000
    python benchmarks/federation_bench.py --part convergence --ops 500 --kills 20

push        main → sub → lower (the lower node joined the sub node, which follows main). Products
            are created at main one at a time (STAC Transactions, admin token); the commit time is
            when the POST returned 201. Latency to the lower node is measured two ways: from the
            lower node's own change feed, whose events carry the time the lower node committed the
            item (server clock, µs; the same machine clock as the benchmark), and by a poller
            reading the lower node's `/changes` every --poll-ms (an upper bound: it adds up to one
            poll interval and a request). Per-hop times come from the three nodes' change feeds.
            Target: p95 <= 1 s.
transfer    one --gib GiB asset at main; `curl -s -o FILE` with a child's key, then a child in
            `full` mode fetching it, then curl again, then a second child (the better run of each
            side counts; before each, what earlier steps wrote is flushed with sync). Child time:
            from its part file appearing to the verified blob in place (polled every 5 ms), and
            fetch()'s own log line. For context, curl followed by a sha256 and an fsync of its file (what
            the child does besides downloading, one step after the other) is timed too. The child's peak RSS is
            VmHWM of its `eonode serve` process. Targets: ratio >= 0.8, peak RSS <= 200 MB.
catchup     a child (metadata agreement, everywhere) stopped while main bulk-loads
            --catchup-items items (`eonode catalog load`, ../shared/bench/gen_items.py), then
            started; its cursor file is sampled every 0.1 s until it reaches main's last sequence
            number. Target: >= 2,000 events/s.
convergence main, sub-cn (CN, full), sub-br (BR+AR, cloud <= 60, metadata) and lower (under
            sub-cn: a box over eastern China, four collections, cloud <= 60, full). A stream of --ops
            creates, updates and deletes at main while --kills random `kill -9` of non-main nodes
            (each restarted after a random pause). Then: the time until every node holds exactly
            its expected items at the latest version (expected from main's search API with each
            agreement), every full-mode asset's blob re-hashed against `file:checksum`, and the
            parents' delivery lists checked.

Results are printed as tables and saved as JSON under --work (outside the repository by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the node-network helpers live with the tests

from shapely.geometry import box, mapping  # noqa: E402
from tests.federation.netkit import (  # noqa: E402
    ADMIN,
    NodeRun,
    big_blob_asset,
    create_collections,
    enroll,
    features,
    http,
    sha256_file,
    square,
    tree_report,
    wait_for,
)

from eonode.demo.synthetic import collections, scenes  # noqa: E402
from eonode.geo.countries import country  # noqa: E402

GiB = 1024**3


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary_ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 1),
        "p95_ms": round(pct(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "min_ms": round(min(ms), 1),
    }


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.rjust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).rjust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def at_of(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["at"]).timestamp()


def all_changes(url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    since = 0
    with http() as client:
        while True:
            page = client.get(f"{url}/changes", params={"since": since, "limit": 1000}, headers=ADMIN).json()
            out += page["events"]
            if not page["more"]:
                return out
            since = page["next"]


def stop_all(*nodes: NodeRun) -> None:
    for node in nodes:
        node.stop()


def child_env(**extra: str) -> dict[str, str]:
    return {"EONODE_STATUS_SECONDS": "5", **extra}


# -- push ---------------------------------------------------------------------------------------------
class ChangeWatcher(threading.Thread):
    """Reads a node's `/changes` every ``interval`` s; remembers when each item's creation was seen."""

    def __init__(self, url: str, interval: float, since: int) -> None:
        super().__init__(name="change-watcher", daemon=True)
        self.url, self.interval, self.since = url, interval, since
        self.seen: dict[str, tuple[float, float]] = {}  # item -> (seen by the poller, committed there)
        self.polls = 0
        self.halt = threading.Event()

    def run(self) -> None:
        with http(10.0) as client:
            while not self.halt.is_set():
                started = time.monotonic()
                page = client.get(f"{self.url}/changes", params={"since": self.since, "limit": 1000}, headers=ADMIN)
                now = time.time()
                self.polls += 1
                body = page.json()
                for e in body["events"]:
                    if e["kind"] == "item" and e["op"] == "create":
                        self.seen.setdefault(e["item"], (now, at_of(e)))
                self.since = body["next"]
                self.halt.wait(max(0.0, self.interval - (time.monotonic() - started)))


def bench_push(args: argparse.Namespace) -> dict[str, Any]:
    root = fresh(args.work / "push")
    main = NodeRun("main", root / "main").start()
    sub = NodeRun("sub", root / "sub", env=child_env())
    lower = NodeRun("lower", root / "lower", env=child_env())
    try:
        create_collections(main, collections())
        agreement = {"mode": "metadata"}
        enroll(main, sub, agreement)
        sub.start()
        enroll(sub, lower, agreement)
        lower.start()
        with http() as client:
            wait_for(
                lambda: len(client.get(f"{lower.url}/collections", headers=ADMIN).json()["collections"]) == 6,
                30,
                "the collections at the lower node",
            )
        docs = list(scenes(args.products + 5, seed=args.seed))
        for k, doc in enumerate(docs):
            doc["id"] = f"PUSH-{k:04d}-{doc['id']}"
        watcher = ChangeWatcher(lower.url, args.poll_ms / 1000, since=0)
        watcher.start()
        committed: dict[str, float] = {}
        with http() as client:
            for k, doc in enumerate(docs):
                began = time.monotonic()
                made = client.post(f"{main.url}/collections/{doc['collection']}/items", json=doc, headers=ADMIN)
                committed[doc["id"]] = time.time()
                if made.status_code != 201:
                    raise SystemExit(f"creating {doc['id']} failed: {made.status_code} {made.text[:300]}")
                if k < 5:  # warm-up: one at a time until each has arrived
                    wait_for(lambda d=doc: d["id"] in watcher.seen, 30, "a warm-up product", every=0.01)
                    continue
                time.sleep(max(0.0, args.push_interval - (time.monotonic() - began)))
        wait_for(lambda: set(committed) <= set(watcher.seen), 60, "every product at the lower node", every=0.05)
        watcher.halt.set()
        watcher.join()
        at = {
            name: {e["item"]: at_of(e) for e in all_changes(n.url) if e["kind"] == "item" and e["op"] == "create"}
            for name, n in (("main", main), ("sub", sub), ("lower", lower))
        }
        measured = [d["id"] for d in docs[5:]]
        with http() as client:
            found = sum(
                client.get(f"{lower.url}/collections/{d['collection']}/items/{d['id']}", headers=ADMIN).status_code
                == 200
                for d in docs[5:]
            )
        result = {
            "part": "push",
            "products": len(measured),
            "interval_s": args.push_interval,
            "poll_ms": args.poll_ms,
            "polls": watcher.polls,
            "searchable_at_lower": found,
            "commit_to_lower_commit": summary_ms([at["lower"][i] - committed[i] for i in measured]),
            "commit_to_poller_saw": summary_ms([watcher.seen[i][0] - committed[i] for i in measured]),
            "hop_main_to_sub": summary_ms([at["sub"][i] - at["main"][i] for i in measured]),
            "hop_sub_to_lower": summary_ms([at["lower"][i] - at["sub"][i] for i in measured]),
            "main_commit_to_post_return": summary_ms([committed[i] - at["main"][i] for i in measured]),
            "target": "p95 <= 1000 ms",
            "machine": machine(),
        }
    finally:
        stop_all(lower, sub, main)
    rows = [
        {"measure": k, **v}
        for k, v in result.items()
        if isinstance(v, dict) and "p50_ms" in v  # the latency summaries
    ]
    print(table(rows, ["measure", "n", "min_ms", "p50_ms", "p95_ms", "max_ms"]))
    print(f"searchable at the lower node: {found}/{len(measured)}; target p95 <= 1 s")
    return result


# -- transfer -----------------------------------------------------------------------------------------
FETCHED = re.compile(r"fetched (?P<sha>[0-9a-f]{64}): (?P<size>\d+) bytes, (?P<new>\d+) new, in (?P<s>[\d.]+) s")


def run_curl(url: str, key: str, dest: Path, size: int, sha: str) -> tuple[float, float]:
    """Seconds for `curl -s -o`, and for curl then a sha256 and an fsync of its file (the same
    download-verify-make-durable work as a child's fetch, done one after the other)."""
    started = time.perf_counter()
    subprocess.run(
        ["curl", "-s", "--noproxy", "*", "-o", str(dest), "-H", f"Authorization: Bearer {key}", url], check=True
    )
    seconds = time.perf_counter() - started
    if dest.stat().st_size != size:
        raise SystemExit(f"curl wrote {dest.stat().st_size} bytes, expected {size}")
    if sha256_file(dest) != sha:
        raise SystemExit("curl's copy does not match the asset's checksum")
    fd = os.open(dest, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    verified = time.perf_counter() - started
    dest.unlink()
    return seconds, verified


@dataclass
class ChildRun:
    seconds: float  # part file appearing → verified blob in place
    logged: float | None  # fetch()'s own figure
    start_to_part: float
    blob_to_online: float
    peak_rss_kib: int
    peak_rss_after_online_kib: int
    verified: bool


def run_child(child: NodeRun, doc: dict[str, Any], sha: str) -> ChildRun:
    """Start a child in full mode, time its copy of the one big asset, stop it, drop the copy."""
    dest = child.blobs.path(sha)
    part = dest.with_name(dest.name + ".part")
    child.start()
    launched = time.time()
    part_at = wait_for(lambda: part.exists() and time.time(), 60, "the child's part file", every=0.005)
    done_at = wait_for(lambda: dest.exists() and time.time(), 600, "the child's verified copy", every=0.005)
    rss_kib = child.peak_rss_kib()

    def online() -> bool:
        with http() as client:
            got = client.get(f"{child.url}/collections/{doc['collection']}/items/{doc['id']}", headers=ADMIN)
        return got.status_code == 200 and got.json()["properties"].get("eonode:availability") == "online"

    wait_for(online, 60, "the item online at the child")
    online_at = time.time()
    logged = FETCHED.search(child.log_text())
    verified = sha256_file(dest) == sha
    run = ChildRun(
        done_at - part_at,
        float(logged["s"]) if logged else None,
        part_at - launched,
        online_at - done_at,
        rss_kib,
        child.peak_rss_kib(),
        verified,
    )
    child.stop()
    dest.unlink()  # free the page cache's competition and 2 GiB of disk before the next run
    return run


def settled() -> None:
    """Flush what earlier steps wrote: each measured transfer starts without pending writeback."""
    os.sync()
    time.sleep(1.0)


def bench_transfer(args: argparse.Namespace) -> dict[str, Any]:
    root = fresh(args.work / "transfer")
    main = NodeRun("main", root / "main").start()
    children = [NodeRun(name, root / name, env=child_env(EONODE_LOG_LEVEL="info")) for name in ("child-a", "child-b")]
    try:
        create_collections(main, collections())
        size = int(args.gib * GiB)
        made = time.perf_counter()
        asset = big_blob_asset(main, size, seed=11)
        print(f"made a {size} byte blob at main in {time.perf_counter() - made:.1f} s", flush=True)
        sha = asset["file:checksum"][4:]
        doc = next(scenes(1, seed=args.seed))
        doc.update(id="BIG-TRANSFER", assets={"data": asset})
        for child in children:
            enroll(main, child, {"mode": "full"})
        with http() as client:
            assert client.post(f"{main.url}/collections/{doc['collection']}/items", json=doc, headers=ADMIN).is_success
        url = f"{main.url}/collections/{doc['collection']}/items/{doc['id']}/assets/data"
        curl_s: list[tuple[float, float]] = []
        runs: list[ChildRun] = []
        for child in children:  # curl, a child, curl again, another child: each side's best counts
            settled()
            curl_s.append(run_curl(url, children[0].key(), root / "curl.bin", size, sha))
            print(f"curl: {curl_s[-1][0]:.2f} s (then sha256 and fsync: {curl_s[-1][1]:.2f} s)", flush=True)
            settled()
            runs.append(run_child(child, doc, sha))
            print(f"{child.name}: {runs[-1].seconds:.2f} s (fetch() logged {runs[-1].logged} s)", flush=True)
        main_rss_kib = main.peak_rss_kib()
    finally:
        stop_all(*children, main)
    best = min(runs, key=lambda r: r.seconds)
    curl_rate = size / min(c for c, _v in curl_s) / 1e6
    verified_rate = size / min(v for _c, v in curl_s) / 1e6
    child_rate = size / best.seconds / 1e6
    result = {
        "part": "transfer",
        "bytes": size,
        "curl_seconds": [round(c, 2) for c, _v in curl_s],
        "curl_mb_s": round(curl_rate, 1),
        "curl_then_sha256_fsync_seconds": [round(v, 2) for _c, v in curl_s],
        "curl_then_sha256_fsync_mb_s": round(verified_rate, 1),
        "ratio_to_curl_then_sha256_fsync": round(child_rate / verified_rate, 2),
        "child_seconds_part_to_blob": [round(r.seconds, 2) for r in runs],
        "child_seconds_logged_by_fetch": [r.logged for r in runs],
        "child_mb_s": round(child_rate, 1),
        "ratio": round(child_rate / curl_rate, 2),
        "child_start_to_part_s": [round(r.start_to_part, 2) for r in runs],
        "blob_to_item_online_s": [round(r.blob_to_online, 2) for r in runs],
        "child_peak_rss_mb": round(max(r.peak_rss_kib for r in runs) / 1024, 1),
        "child_peak_rss_mb_after_online": round(max(r.peak_rss_after_online_kib for r in runs) / 1024, 1),
        "main_peak_rss_mb": round(main_rss_kib / 1024, 1),
        "verified": all(r.verified for r in runs),
        "targets": "ratio >= 0.8, child peak RSS <= 200 MB",
        "machine": machine(),
    }
    shutil.rmtree(root / "main" / "blobs", ignore_errors=True)
    columns = ["bytes", "curl_mb_s", "child_mb_s", "ratio", "child_peak_rss_mb", "verified"]
    print(table([result], [*columns, "curl_then_sha256_fsync_mb_s", "ratio_to_curl_then_sha256_fsync"]))
    print("targets: ratio >= 0.8, child peak RSS <= 200 MB (the better of two runs on each side)")
    return result


# -- catchup ------------------------------------------------------------------------------------------
def items_file(work: Path, n: int, seed: int) -> tuple[Path, Path]:
    items, colls = work / f"items-{n}-{seed}.ndjson", work / "collections.ndjson"
    if not items.exists() or not colls.exists():
        print(f"generating {n} items ...", flush=True)
        tmp = items.with_suffix(".partial")
        cmd = [sys.executable, str(SHARED / "gen_items.py"), "--n", str(n), "--seed", str(seed)]
        subprocess.run([*cmd, "--out", str(tmp), "--collections-out", str(colls)], check=True)
        tmp.rename(items)
    return items, colls


def bench_catchup(args: argparse.Namespace) -> dict[str, Any]:
    items, colls = items_file(args.work, args.catchup_items, 20260101)
    root = fresh(args.work / "catchup")
    main = NodeRun("main", root / "main").start()
    child = NodeRun("child", root / "child", env=child_env())
    try:
        enroll(main, child, {"mode": "metadata"})
        child.start()
        wait_for(lambda: tree_report(main, child.name).get("connected"), 30, "the child connected")
        child.stop()
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "eonode", "catalog", "load", "--data-dir", str(main.data_dir)]
        subprocess.run([*cmd, str(colls), str(items)], check=True, stderr=subprocess.DEVNULL)
        load_s = time.perf_counter() - started
        with http() as client:
            last_seq = client.get(f"{main.url}/admin/nodes/tree", headers=ADMIN).json()["last_seq"]
        cursor0 = child.cursor()
        print(f"loaded {args.catchup_items} items at main in {load_s:.0f} s; last seq {last_seq}", flush=True)
        samples: list[tuple[float, int]] = []
        child.start()
        launched = time.time()
        deadline = time.monotonic() + args.catchup_timeout
        while time.monotonic() < deadline:
            samples.append((time.time(), child.cursor()))
            if samples[-1][1] >= last_seq:
                break
            time.sleep(0.1)
        done_at, reached = samples[-1]
        first_at = next((t for t, c in samples if c > cursor0), done_at)
        with http() as client:
            held = client.post(f"{child.url}/search", json={"limit": 1}, headers=ADMIN).json()["numberMatched"]
        rss_kib = child.peak_rss_kib()
        reconciled = child.log_text().count("reconciliation repaired")
    finally:
        stop_all(child, main)
    events = reached - cursor0
    steady = [(t, c) for t, c in samples if first_at <= t]
    third = len(steady) // 3
    window = (steady[third], steady[2 * third]) if third else (steady[0], steady[-1])
    result = {
        "part": "catchup",
        "items_loaded": args.catchup_items,
        "load_seconds": round(load_s, 1),
        "main_last_seq": last_seq,
        "child_cursor_before": cursor0,
        "child_cursor_reached": reached,
        "caught_up": reached >= last_seq,
        "child_items": held,
        "seconds_from_launch": round(done_at - launched, 1),
        "seconds_from_first_event": round(done_at - first_at, 1),
        "events_per_s": round(events / max(done_at - first_at, 1e-9)),
        "events_per_s_with_startup": round(events / max(done_at - launched, 1e-9)),
        "events_per_s_middle_third": round((window[1][1] - window[0][1]) / max(window[1][0] - window[0][0], 1e-9)),
        "child_peak_rss_mb": round(rss_kib / 1024, 1),
        "reconciliation_repairs_logged": reconciled,
        "target": ">= 2000 events/s",
        "machine": machine(),
    }
    print(
        table(
            [result],
            [
                "items_loaded",
                "child_items",
                "seconds_from_first_event",
                "events_per_s",
                "events_per_s_with_startup",
                "events_per_s_middle_third",
            ],
        )
    )
    print("target: >= 2,000 events/s")
    return result


# -- convergence --------------------------------------------------------------------------------------
LOWER_BOX = box(95.0, 20.0, 125.0, 42.0)  # eastern China
LOWER_COLLECTIONS = ["gf1-wfv", "gf1-pms", "gf2-pms", "gf6-wfv"]
REGIONS = [  # lon/lat boxes products fall in, with weights
    ((75.0, 20.0, 133.0, 50.0), 0.6),  # China and around
    ((-73.0, -50.0, -40.0, 0.0), 0.2),  # Brazil, Argentina and around
    ((-10.0, 0.0, 40.0, 55.0), 0.2),  # Europe, Africa
]


def cloud_filter(limit: float) -> dict[str, Any]:
    return {"filter-lang": "cql2-text", "filter": f"eo:cloud_cover <= {limit} OR eo:cloud_cover IS NULL"}


def territory(*codes: str) -> dict[str, Any]:
    area = country(codes[0]).geometry
    for code in codes[1:]:
        area = area.union(country(code).geometry)
    return dict(mapping(area))


@dataclass
class Net:
    main: NodeRun
    children: dict[str, NodeRun]
    parent_of: dict[str, NodeRun]
    ids: dict[str, int]
    full: tuple[str, ...] = ("sub-cn", "lower")
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)


def expected_sets(net: Net) -> dict[str, dict[str, int]]:
    """Each node's expected items (id → revision), from main's search API."""
    main = net.main.url

    def revs(body: dict[str, Any]) -> dict[str, int]:
        return {f["id"]: f["properties"]["eonode:rev"] for f in features(main, body)}

    cn = revs({"intersects": territory("CN")})
    br = revs({"intersects": territory("BR", "AR"), **cloud_filter(60)})
    boxed = revs({"intersects": mapping(LOWER_BOX), "collections": LOWER_COLLECTIONS, **cloud_filter(60)})
    return {"sub-cn": cn, "sub-br": br, "lower": {i: r for i, r in cn.items() if i in boxed}}


def holdings(node: NodeRun) -> dict[str, tuple[int, str]]:
    return {
        f["id"]: (f["properties"].get("eonode:rev", -1), f["properties"].get("eonode:availability", ""))
        for f in features(node.url)
    }


def differences(net: Net, want: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out = {}
    for name, node in net.children.items():
        try:
            held = holdings(node)
        except Exception:  # a node still restarting: not converged
            out[name] = {"unreachable": 1}
            continue
        expected = want[name]
        out[name] = {
            "missing": len(set(expected) - set(held)),
            "extra": len(set(held) - set(expected)),
            "stale": sum(1 for i, r in expected.items() if i in held and held[i][0] != r),
            "not_online": sum(1 for i in expected if i in held and held[i][1] != "online") if name in net.full else 0,
        }
    return out


def verify_blobs(node: NodeRun) -> tuple[int, list[str]]:
    """Re-hash every asset blob of the node's items against its file:checksum."""
    checked, bad = 0, []
    for f in features(node.url):
        for key, asset in f["assets"].items():
            checksum = str(asset.get("file:checksum", ""))
            if not checksum.startswith("1220"):
                continue
            sha = checksum[4:]
            checked += 1
            path = node.blobs.path(sha)
            if not asset["href"].startswith(node.url) or not path.exists() or sha256_file(path) != sha:
                bad.append(f"{f['id']}/{key}")
    return checked, bad


def build_network(root: Path) -> Net:
    main = NodeRun("main", root / "main").start()
    create_collections(main, collections())
    env = child_env(EONODE_LOG_LEVEL="info")
    children = {n: NodeRun(n, root / n, env=env) for n in ("sub-cn", "sub-br", "lower")}
    agreements = {
        "sub-cn": {"territory": ["CN"], "mode": "full"},
        "sub-br": {"territory": ["BR", "AR"], "max_cloud_cover": 60, "mode": "metadata"},
        "lower": {
            "territory": mapping(LOWER_BOX),
            "collections": LOWER_COLLECTIONS,
            "max_cloud_cover": 60,
            "mode": "full",
        },
    }
    parent_of = {"sub-cn": main, "sub-br": main, "lower": children["sub-cn"]}
    ids = {}
    for name in ("sub-cn", "sub-br", "lower"):
        ids[name] = enroll(parent_of[name], children[name], agreements[name])
        children[name].start()
    return Net(main, children, parent_of, ids, agreements=agreements)


class Stream:
    """Creates, updates and deletes at main, with real asset bytes for every product."""

    def __init__(self, net: Net, seed: int) -> None:
        self.net = net
        self.rng = random.Random(seed)
        self.scenes = scenes(100_000, seed=seed)
        self.live: dict[str, dict[str, Any]] = {}
        self.ops: Counter[str] = Counter()
        self.failures: list[str] = []

    def asset(self, size: int, role: str, media_type: str) -> dict[str, Any]:
        info = self.net.main.blobs.put([self.rng.randbytes(size)])
        return {
            "href": f"blob:sha256:{info.sha256}",
            "type": media_type,
            "roles": [role],
            "file:size": info.size,
            "file:checksum": info.multihash,
        }

    def create(self) -> tuple[str, dict[str, Any]]:
        doc = next(self.scenes)
        bounds = self.rng.choices([r for r, _w in REGIONS], [w for _r, w in REGIONS])[0]
        lon, lat = self.rng.uniform(bounds[0], bounds[2]), self.rng.uniform(bounds[1], bounds[3])
        doc["geometry"] = square(lon, lat, self.rng.uniform(0.2, 0.8))
        doc["properties"]["eonode:rev"] = 0
        doc["assets"] = {
            "data": self.asset(self.rng.randint(20_000, 1_500_000), "data", "application/gzip"),
            "thumbnail": self.asset(self.rng.randint(2_000, 8_000), "thumbnail", "image/png"),
        }
        self.live[doc["id"]] = doc
        return "POST", doc

    def next_op(self) -> tuple[str, dict[str, Any]]:
        r = self.rng.random()
        if len(self.live) < 20 or r < 0.7:
            return self.create()
        item_id = self.rng.choice(sorted(self.live))
        if r < 0.88:
            doc = self.live[item_id]
            doc["properties"]["eo:cloud_cover"] = float(self.rng.randint(0, 100))  # in and out of scopes
            doc["properties"]["eonode:rev"] += 1
            return "PUT", doc
        return "DELETE", self.live.pop(item_id)

    def run(self, ops: int, seconds: float) -> None:
        interval = seconds / ops
        base = self.net.main.url
        with http() as client:
            for _ in range(ops):
                began = time.monotonic()
                method, doc = self.next_op()
                url = f"{base}/collections/{doc['collection']}/items"
                if method != "POST":
                    url += f"/{doc['id']}"
                reply = client.request(method, url, json=doc if method != "DELETE" else None, headers=ADMIN)
                self.ops[method] += 1
                if not reply.is_success:
                    self.failures.append(f"{method} {doc['id']}: {reply.status_code}")
                time.sleep(max(0.0, interval - (time.monotonic() - began)))


class Chaos(threading.Thread):
    """``kills`` times: kill -9 a random non-main node, restart it after a random pause."""

    def __init__(self, net: Net, kills: int, seed: int, spacing: float) -> None:
        super().__init__(name="chaos", daemon=True)
        self.net, self.kills, self.rng, self.spacing = net, kills, random.Random(seed), spacing
        self.log: list[dict[str, Any]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for _ in range(self.kills):
                time.sleep(self.rng.uniform(0.2, self.spacing))
                name = self.rng.choice(sorted(self.net.children))
                node = self.net.children[name]
                pause = self.rng.uniform(0.3, 3.0)
                killed = time.time()
                node.kill()
                time.sleep(pause)
                node.start()
                self.log.append(
                    {"node": name, "at": killed, "pause_s": round(pause, 2), "up_s": round(time.time() - killed, 2)}
                )
        except BaseException as exc:  # reported by the caller
            self.error = exc


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def reconnect_gaps(child: NodeRun, parent_up: list[float]) -> list[dict[str, float]]:
    """From the child's log: after each lost feed connection, how long until the feed was open
    again, and how much of that came after the parent was answering again (``parent_up``)."""
    lost_at: float | None = None
    gaps = []
    for line in child.log_text().splitlines():
        if line.startswith("--- start"):
            lost_at = None  # the child itself was killed meanwhile
        stamp = LOG_TIME.match(line)
        if stamp is None:
            continue
        at = time.mktime(time.strptime(stamp[1], "%Y-%m-%d %H:%M:%S")) + int(stamp[2]) / 1000  # local time
        if "feed connection lost" in line and lost_at is None:
            lost_at = at
        elif lost_at is not None and "/federation/stream?" in line and '200 OK"' in line:
            up = min((u for u in parent_up if u >= lost_at), default=lost_at)
            gaps.append({"gap_s": round(at - lost_at, 2), "after_parent_up_s": round(max(0.0, at - up), 2)})
            lost_at = None
    return gaps


def deliveries(parent: NodeRun, child_id: int) -> set[str]:
    with http() as client:
        rows = client.get(f"{parent.url}/admin/nodes/{child_id}/deliveries", headers=ADMIN).json()["deliveries"]
    return {r["item"] for r in rows if r["asset"] == "data"}


def bench_convergence(args: argparse.Namespace) -> dict[str, Any]:
    root = fresh(args.work / "convergence")
    net = build_network(root)
    try:
        stream = Stream(net, args.seed)
        chaos = Chaos(net, args.kills, args.seed + 1, spacing=args.stream_seconds / args.kills * 0.9)
        started = time.time()
        chaos.start()
        stream.run(args.ops, args.stream_seconds)
        last_write = time.time()
        chaos.join()
        if chaos.error is not None:
            raise SystemExit(f"the chaos thread failed: {chaos.error!r}")
        ended = time.time()
        print(f"stream of {dict(stream.ops)} and {len(chaos.log)} kills in {ended - started:.0f} s", flush=True)
        want = expected_sets(net)
        converged_at: float | None = None
        diff: dict[str, dict[str, int]] = {}
        per_node: dict[str, float] = {}
        deadline = time.monotonic() + args.converge_timeout
        while time.monotonic() < deadline:
            diff = differences(net, want)
            for name, d in diff.items():
                if not any(d.values()):
                    per_node.setdefault(name, time.time() - ended)
                else:
                    per_node.pop(name, None)
            if all(not any(d.values()) for d in diff.values()):
                converged_at = time.time()
                break
            time.sleep(1.0)
        digests = {name: verify_blobs(net.children[name]) for name in net.full}
        acks = {name: sorted(set(want[name]) - deliveries(net.parent_of[name], net.ids[name])) for name in net.full}
        parts = {name: len(list(net.children[name].blobs.root.glob("*/*/*.part"))) for name in net.full}
        lost = {name: net.children[name].log_text().count("feed connection lost") for name in net.children}
        sub_up = [k["at"] + k["up_s"] for k in chaos.log if k["node"] == "sub-cn"]
        gaps = reconnect_gaps(net.children["lower"], sub_up)
        repairs = {name: net.children[name].log_text().count("reconciliation repaired") for name in net.children}
    finally:
        stop_all(*net.children.values(), net.main)
    result = {
        "part": "convergence",
        "ops": dict(stream.ops),
        "op_failures": stream.failures,
        "kills": Counter(k["node"] for k in chaos.log),
        "kill_log": chaos.log,
        "stream_seconds": round(last_write - started, 1),
        "last_restart_after_last_write_s": round(ended - last_write, 1),
        "seconds_to_converge_from_last_write": None if converged_at is None else round(converged_at - last_write, 1),
        "expected_items": {k: len(v) for k, v in want.items()},
        "converged": converged_at is not None,
        "seconds_to_converge_from_last_restart": None if converged_at is None else round(converged_at - ended, 1),
        "per_node_seconds": {k: round(v, 1) for k, v in per_node.items()},
        "last_differences": diff,
        "blobs_checked": {k: v[0] for k, v in digests.items()},
        "blobs_bad": {k: v[1][:20] for k, v in digests.items()},
        "all_digests_verified": all(not v[1] for v in digests.values()),
        "acks_missing_at_parent": {k: v[:20] for k, v in acks.items()},
        "acks_missing_count": {k: len(v) for k, v in acks.items()},
        "leftover_part_files": parts,
        "feed_connection_lost_logged": lost,
        "lower_reconnect_gaps": gaps,
        "lower_reconnect_after_parent_up_max_s": max((g["after_parent_up_s"] for g in gaps), default=None),
        "reconciliation_repairs_logged": repairs,
        "machine": machine(),
    }
    rows = [
        {
            "node": name,
            "expected": len(want[name]),
            **diff.get(name, {}),
            "converged_s": result["per_node_seconds"].get(name, "-"),
            "blobs_ok": f"{digests[name][0] - len(digests[name][1])}/{digests[name][0]}" if name in digests else "-",
            "acks_missing": len(acks.get(name, [])),
        }
        for name in net.children
    ]
    print(
        table(
            rows,
            ["node", "expected", "missing", "extra", "stale", "not_online", "converged_s", "blobs_ok", "acks_missing"],
        )
    )
    print(f"lower node's reconnections, seconds after sub-cn answered again: {[g['after_parent_up_s'] for g in gaps]}")
    print(
        f"converged: {result['converged']} {result['seconds_to_converge_from_last_restart']} s after the last restart "
        f"({result['seconds_to_converge_from_last_write']} s after the last write); "
        f"all digests verified: {result['all_digests_verified']}"
    )
    return result


PARTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "push": bench_push,
    "transfer": bench_transfer,
    "catchup": bench_catchup,
    "convergence": bench_convergence,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--work", type=Path, default=ROOT.parent / "eonode-bench" / "federation")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--products", type=int, default=200, help="push: products measured")
    parser.add_argument("--push-interval", type=float, default=0.25, help="push: seconds between two products")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="push: the poller's period")
    parser.add_argument("--gib", type=float, default=2.0, help="transfer: asset size")
    parser.add_argument("--catchup-items", type=int, default=100_000)
    parser.add_argument("--catchup-timeout", type=float, default=900.0)
    parser.add_argument("--ops", type=int, default=500, help="convergence: creates, updates and deletes")
    parser.add_argument("--kills", type=int, default=20, help="convergence: kill -9 of non-main nodes")
    parser.add_argument("--stream-seconds", type=float, default=90.0, help="convergence: length of the stream")
    parser.add_argument("--converge-timeout", type=float, default=300.0)
    args = parser.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = []
    for name in PARTS if args.part == "all" else [args.part]:
        print(f"== {name}", flush=True)
        result = PARTS[name](args)
        result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
        results.append(result)
        (args.work / f"{name}-{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"results: {args.work}")


if __name__ == "__main__":
    main()
