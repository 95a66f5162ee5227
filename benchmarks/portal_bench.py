"""Portal benchmark: server-side render times of the portal's pages on a node loaded by
search_bench.py (run that first; this reuses its node with --skip-load semantics).

Each page is fetched as a browser would (Accept: text/html), once to warm up, then --repeat
times; the table shows the median and the slowest render. Target: well under 0.5 s each.

    python benchmarks/portal_bench.py --backend sqlite --items 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_bench import ROOT, serve

PAGES = {
    "hub, no search": "/",
    "hub, one collection + cloud <= 20": "/?collections=gf1-wfv&cloud_max=20",
    "hub, country CN": "/?country=CN",
    "hub, country CN + 2024": "/?country=CN&start=2024-01-01&end=2024-12-31",
    "hub, country RU (crosses 180)": "/?country=RU",
    "hub, large bbox, least cloud first": "/?bbox=70,15,140,55&sort=cloud",
    "hub, bbox + year + online": "/?bbox=100,20,125,45&start=2023-01-01&end=2023-12-31&availability=online",
    "hub, page 500": "/?page=500",
    "hub, 50 per page, oldest first": "/?limit=50&sort=oldest",
    "satellites": "/satellites",
    "satellite gf-1": "/satellites/gf-1",
    "product hub": "/products",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgis"], default="sqlite")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=ROOT.parent / "eonode-bench")
    ap.add_argument("--database", default="eonode_bench")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data_dir = args.work / f"node-{args.backend}-{args.items}"
    if not data_dir.exists():
        raise SystemExit(f"{data_dir} is missing: run search_bench.py --backend {args.backend} --items {args.items}")
    proc, url = serve(args, data_dir)
    results: dict[str, dict[str, float]] = {}
    try:
        with httpx.Client(base_url=url, headers={"Accept": "text/html"}, timeout=60, trust_env=False) as client:
            item = client.get("/search?limit=1", headers={"Accept": "application/json"}).json()["features"][0]
            pages = {**PAGES, "product page": f"/collections/{item['collection']}/items/{item['id']}"}
            for name, path in pages.items():
                client.get(path).raise_for_status()
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    response.raise_for_status()
                results[name] = {"median_ms": statistics.median(times), "max_ms": max(times)}
                print(f"{name:42s} {results[name]['median_ms']:8.1f} ms  (max {results[name]['max_ms']:.1f})")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    out = args.work / f"portal-{args.backend}-{args.items}.json"
    out.write_text(json.dumps({"url_paths": PAGES, "results": results}, indent=1))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
