"""Search benchmark: bulk-load N synthetic STAC items, then load-test a real `eonode serve`.

    python benchmarks/search_bench.py --backend sqlite --items 1000000
    python benchmarks/search_bench.py --backend postgis --items 1000000

Items come from ../shared/bench/gen_items.py (seeded, so every run loads the same bytes) and are
loaded with `eonode catalog load`; the server is then measured with ../shared/bench/stac_load.py
(its default query mix; concurrency 1, then --concurrency) while its processes' CPU and memory are
watched. Results (JSON) and a summary land in --work (outside the repository by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def items_file(work: Path, n: int, seed: int) -> tuple[Path, Path]:
    items, colls = work / f"items-{n}-{seed}.ndjson", work / "collections.ndjson"
    if not items.exists() or not colls.exists():
        print(f"generating {n} items ...", flush=True)
        tmp = items.with_suffix(".partial")
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "gen_items.py"),
                "--n",
                str(n),
                "--seed",
                str(seed),
                "--out",
                str(tmp),
                "--collections-out",
                str(colls),
            ],
            check=True,
        )
        tmp.rename(items)
    return items, colls


def node_env(backend: str, database: str) -> dict[str, str]:
    env = {**os.environ, "EONODE_LOG_LEVEL": "warning"}
    if backend == "postgis":
        env["EONODE_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    return env


def reset_database(backend: str, data_dir: Path, database: str) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
    if backend == "postgis":
        for sql in (f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'):
            subprocess.run(["psql", "-q", PG_ADMIN, "-c", sql], check=True)


def bulk_load(args: argparse.Namespace, data_dir: Path, files: list[Path]) -> dict[str, float]:
    reset_database(args.backend, data_dir, args.database)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "eonode", "catalog", "load", "--data-dir", str(data_dir), *map(str, files)],
        check=True,
        env=node_env(args.backend, args.database),
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "items": args.items,
        "seconds": round(seconds, 1),
        "items_per_s": round(args.items / seconds),
        "loader_peak_rss_mib": round(max(peak, before) / 1024),
    }


def serve(args: argparse.Namespace, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # The load generator is one anonymous client sending thousands of requests a minute: lift the
    # anonymous per-minute quota (the requests are still resolved and counted as usual).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "eonode",
            "quota",
            "set",
            "anonymous",
            "--requests-per-minute",
            "1000000000",
            "--data-dir",
            str(data_dir),
        ],
        env=node_env(args.backend, args.database),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cmd = [
        sys.executable,
        "-m",
        "eonode",
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    proc = subprocess.Popen(cmd, env=node_env(args.backend, args.database), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/conformance", timeout=2, trust_env=False).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgis"], default="sqlite")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--work", type=Path, default=ROOT.parent / "eonode-bench")
    ap.add_argument("--database", default="eonode_bench", help="PostgreSQL database (dropped and recreated)")
    ap.add_argument("--workers", type=int, default=2, help="API processes of eonode serve")
    ap.add_argument("--seconds", type=float, default=30.0, help="stac_load phase length")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--skip-load", action="store_true", help="reuse the node loaded by an earlier run")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = args.work / f"node-{args.backend}-{args.items}"
    items, colls = items_file(args.work, args.items, args.seed)
    result: dict[str, object] = {
        "backend": args.backend,
        "items": args.items,
        "workers": args.workers,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    if not args.skip_load:
        result["load"] = bulk_load(args, data_dir, [colls, items])
        print(f"load: {result['load']}", flush=True)
    proc, url = serve(args, data_dir)
    out = args.work / f"stac_load-{args.backend}-{args.items}.json"
    try:
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "stac_load.py"),
                "--url",
                url,
                "--seconds",
                str(args.seconds),
                "--concurrency",
                str(args.concurrency),
                "--warmup",
                "10",
                "--watch",
                f"serve={proc.pid}",
                "--out",
                str(out),
                "--label",
                f"eonode {args.backend} {args.items}",
            ],
            check=True,
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    result["stac_load"] = str(out)
    summary = args.work / f"summary-{args.backend}-{args.items}.json"
    summary.write_text(json.dumps(result, indent=1))
    print(f"summary: {summary}")


if __name__ == "__main__":
    main()
