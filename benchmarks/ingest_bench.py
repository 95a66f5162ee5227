"""Ingest benchmark: packages per minute for the demo mix, and peak memory for one huge package.

    python benchmarks/ingest_bench.py                       # both parts, SQLite
    python benchmarks/ingest_bench.py --part mix --count 240 --backend postgis
    python benchmarks/ingest_bench.py --part large --large-gib 2

Part "mix": `eonode demo-data`'s realistic mix (`eonode.demo.packages.generate`: mostly GF-1/2/6
and ZY-3 optical, some SAR, ocean and thematic products; about one package in three ships no
browse/thumbnail, so ingestion renders them) is delivered into an inbox, then one
`eonode ingest --watch INBOX --once` process ingests them all. Reported: packages per minute
over the wall time of that process (start-up included), and per family.

Part "large": one valid GF-2 PMS package of --large-gib GiB (incompressible imagery, so the
.tar.gz is as big as its contents), ingested by `eonode ingest PATH` in a child process whose
peak resident memory (ru_maxrss) is read when it exits. Run with --no-quicklooks-large to
also measure a package without quicklooks (rendered from the big image).

Targets (issue 3): >= 60 packages/min for the mix; peak RSS <= 300 MB for the 2 GB package.
Results (JSON) land in --work (outside the repository by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def database_url(backend: str) -> str | None:
    if backend == "sqlite":
        return None
    import psycopg

    name = f"eonode_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str | None) -> None:
    if url is None:
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes, output) of one child process (its own rusage, via wait4)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"ingest-bench-{os.getpid()}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    output = log.read_text()
    log.unlink()
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}):\n{output}")
    return wall, usage.ru_maxrss * 1024, output


def bench_mix(work: Path, count: int, seed: int, backend: str) -> dict[str, object]:
    from eonode.demo.packages import generate

    source = work / f"mix-{count}-{seed}"
    if not source.exists():
        print(f"generating {count} packages ...", flush=True)
        tmp = source.with_name(source.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        t = time.perf_counter()
        generate(tmp, count=count, seed=seed)
        print(f"  generated in {time.perf_counter() - t:.1f} s", flush=True)
        tmp.rename(source)
    packages = sorted(p for p in source.iterdir() if not p.name.startswith("."))
    total_bytes = sum(p.stat().st_size for p in packages)
    data_dir = work / f"node-mix-{backend}"
    shutil.rmtree(data_dir, ignore_errors=True)
    inbox = data_dir / "inbox"
    inbox.mkdir(parents=True)
    for p in packages:
        os.link(p, inbox / p.name)  # hard links: "delivered" without copying; ingestion removes the link
    env = {**os.environ, "EONODE_LOG_LEVEL": "warning"}
    url = database_url(backend)
    if url:
        env["EONODE_DATABASE_URL"] = url
    args = [sys.executable, "-m", "eonode", "ingest", "--watch", str(inbox), "--once", "--settle", "0"]
    print(f"ingesting {len(packages)} packages ({total_bytes / 1e6:.0f} MB) on {backend} ...", flush=True)
    wall, peak, output = run_child([*args, "--data-dir", str(data_dir)], env)
    outcomes = Counter(line.split()[0] for line in output.splitlines() if line.split())
    rendered = 0
    families: Counter[str] = Counter()
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] == "created":
            families[parts[1].split("/")[0]] += 1
    from eonode.node import Node
    from eonode.settings import load_settings

    node = Node.open(load_settings(data_dir=data_dir, database_url=url))
    try:
        catalogued = node.catalog.item_count()
        from eonode.models.search import SearchQuery

        for doc in node.catalog.search(SearchQuery(limit=1000)).items:
            rendered += "(rendered)" in str(doc["assets"].get("browse", {}).get("title", ""))
    finally:
        node.close()
        drop_database(url)
    result = {
        "part": "mix",
        "backend": backend,
        "packages": len(packages),
        "catalogued": catalogued,
        "refused": outcomes.get("refused", 0),
        "quicklooks_rendered": rendered,
        "megabytes": round(total_bytes / 1e6, 1),
        "wall_s": round(wall, 2),
        "packages_per_min": round(len(packages) / wall * 60, 1),
        "mb_per_s": round(total_bytes / 1e6 / wall, 1),
        "peak_rss_mb": round(peak / 1e6, 1),
        "collections": dict(sorted(families.items())),
        "machine": machine(),
    }
    print(json.dumps(result, indent=2))
    return result


def bench_large(work: Path, gib: float, quicklooks: bool) -> dict[str, object]:
    from eonode.demo.packages import make_large_package

    size = int(gib * 1024**3)
    folder = work / f"large-{gib:g}gib-{'ql' if quicklooks else 'noql'}"
    folder.mkdir(parents=True, exist_ok=True)
    existing = [p for p in folder.iterdir() if p.name.endswith(".tar.gz")]
    if existing:
        path = existing[0]
    else:
        print(f"writing a {gib:g} GiB package ...", flush=True)
        t = time.perf_counter()
        path = make_large_package(folder / "pkg", size, quicklooks=quicklooks)
        print(f"  written in {time.perf_counter() - t:.0f} s: {path.name}", flush=True)
        target = folder / path.name
        path.rename(target)
        shutil.rmtree(folder / "pkg", ignore_errors=True)
        path = target
    data_dir = work / "node-large"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {**os.environ, "EONODE_LOG_LEVEL": "warning"}
    print(f"ingesting {path.stat().st_size / 1e9:.2f} GB ...", flush=True)
    args = [sys.executable, "-m", "eonode", "ingest", str(path), "--data-dir", str(data_dir)]
    wall, peak, output = run_child(args, env)
    if "created" not in output:
        raise SystemExit(f"the large package was not ingested:\n{output}")
    shutil.rmtree(data_dir, ignore_errors=True)  # 2 GB of blobs
    result = {
        "part": "large",
        "package_gb": round(path.stat().st_size / 1e9, 2),
        "quicklooks_in_package": quicklooks,
        "wall_s": round(wall, 1),
        "mb_per_s": round(path.stat().st_size / 1e6 / wall, 1),
        "peak_rss_mb": round(peak / 1e6, 1),
        "machine": machine(),
    }
    print(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["mix", "large", "all"], default="all")
    parser.add_argument("--count", type=int, default=240, help="packages in the mix")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgis"], default="sqlite")
    parser.add_argument("--large-gib", type=float, default=2.0)
    parser.add_argument("--no-quicklooks-large", action="store_true", help="the large package ships no quicklooks")
    parser.add_argument("--work", type=Path, default=ROOT.parent / "eonode-bench" / "ingest")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    if args.part in ("mix", "all"):
        results.append(bench_mix(args.work, args.count, args.seed, args.backend))
    if args.part in ("large", "all"):
        results.append(bench_large(args.work, args.large_gib, not args.no_quicklooks_large))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.work / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
