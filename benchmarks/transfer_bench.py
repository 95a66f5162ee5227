"""Transfer benchmark: eonode's resumable, verified fetch() against curl, over loopback.

    python benchmarks/transfer_bench.py                  # one 2 GiB file
    python benchmarks/transfer_bench.py --gib 0.5 --rounds 3 --parallel 1

A file of --gib GiB of incompressible bytes (a 64 MiB random block repeated, each copy with its
own header) is served by uvicorn + Starlette's FileResponse (Range support included) in a
separate process. Then, --rounds times, alternating: `curl -s -o FILE URL`, and
`eonode.federation.transfer.fetch()` in a child process that reports its own peak resident
memory (VmHWM) as it ends. Not ru_maxrss: Linux carries the parent's high-water mark across
fork+exec into the child, and this parent held a 64 MiB block.

fetch() does more than curl: it checkpoints its resume state (fsync), computes the sha256 of
every byte and fsyncs the file before renaming it; all of that is inside its time. So, for
context, curl followed by a sha256 of its file (hashlib, the same download-and-verify work,
done one after the other) is timed too.

Reported (best round of each): bytes, curl MB/s, eonode MB/s (the fetch() call; the child's
wall time, interpreter start-up included, is printed per round), ratio, the child's peak RSS,
and curl+sha256 MB/s. Targets: ratio >= 0.8, peak RSS <= 200 MB. Everything is written
under --work-dir (a temporary directory by default) and removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLOCK = 64 * 1024 * 1024


def make_file(path: Path, size: int) -> str:
    """Write ``size`` incompressible bytes fast; returns their sha256."""
    block = bytearray(os.urandom(BLOCK))
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written = 0
        index = 0
        while written < size:
            block[:16] = index.to_bytes(8, "big") + os.urandom(8)  # no two blocks alike
            piece = memoryview(block)[: min(BLOCK, size - written)]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
            index += 1
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(path: str, port: int) -> None:
    """The server process: one file at /file."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse
    from starlette.routing import Route

    async def send_file(request: Request) -> FileResponse:
        return FileResponse(path)

    app = Starlette(routes=[Route("/file", send_file)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off", ws="none")


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(path), str(port)])
    url = f"http://127.0.0.1:{port}/file"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the benchmark server did not start")


def child_fetch(url: str, dest: str, size: int, sha256: str, parallel: int, threshold: int) -> None:
    """The measured child process: one fetch(), its timing printed as JSON."""
    import httpx

    from eonode.federation.transfer import TransferOptions, fetch

    options = TransferOptions(parallel=parallel, parallel_threshold=threshold)
    started = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=60) as client:
        result = fetch(url, Path(dest), size=size, sha256=sha256, client=client, options=options)
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "received": result.received, "peak_kib": peak_kib}))


def run_curl(url: str, dest: Path, size: int, sha256: str) -> tuple[float, float]:
    """Seconds for curl alone, and for curl then a sha256 of its file (download and verify, as fetch() does)."""
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "--noproxy", "*", "-o", str(dest), url], check=True)
    seconds = time.perf_counter() - started
    if dest.stat().st_size != size:
        raise RuntimeError(f"curl wrote {dest.stat().st_size} bytes, expected {size}")
    digest = hashlib.sha256()
    with dest.open("rb") as copy:
        while chunk := copy.read(1024 * 1024):
            digest.update(chunk)
    with_sum = time.perf_counter() - started
    if digest.hexdigest() != sha256:
        raise RuntimeError("curl's copy does not match the source")
    dest.unlink()
    return seconds, with_sum


def run_eonode(url: str, dest: Path, size: int, sha256: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--fetch", url, str(dest), str(size), sha256]
    command += [str(args.parallel), str(int(args.threshold_mib * 1024 * 1024))]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, check=True)
    wall = time.perf_counter() - started
    report = json.loads(done.stdout)
    if report["received"] != size:
        raise RuntimeError(f"fetch() received {report['received']} bytes, expected {size}")
    dest.unlink()
    return {"seconds": report["seconds"], "wall": wall, "rss_mb": report["peak_kib"] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=2.0, help="file size in GiB (default 2)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the files go (default: a temp dir)")
    parser.add_argument("--rounds", type=int, default=1, help="curl/eonode pairs to run; the best of each counts")
    parser.add_argument("--parallel", type=int, default=4, help="fetch() threads for a big file (default 4)")
    parser.add_argument("--threshold-mib", type=float, default=64, help="parallel ranges from this size (MiB)")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="eonode-transfer-bench-", dir=args.work_dir))
    server: subprocess.Popen[bytes] | None = None
    try:
        size = int(args.gib * 1024**3)
        source = base / "source.bin"
        made = time.perf_counter()
        sha256 = make_file(source, size)
        print(f"made {size} bytes in {time.perf_counter() - made:.1f} s under {base}", flush=True)
        server, url = start_server(source)
        curl_runs: list[tuple[float, float]] = []
        eonode_runs: list[dict[str, float]] = []
        for round_no in range(1, args.rounds + 1):
            curl_runs.append(run_curl(url, base / "curl.bin", size, sha256))
            eonode_runs.append(run_eonode(url, base / "eonode.bin", size, sha256, args))
            last = eonode_runs[-1]
            print(
                f"round {round_no}: curl {curl_runs[-1][0]:.2f} s (then sha256: {curl_runs[-1][1]:.2f} s), "
                f"eonode fetch() {last['seconds']:.2f} s (child wall {last['wall']:.2f} s), "
                f"peak RSS {last['rss_mb']:.0f} MB",
                flush=True,
            )
        curl_rate = size / min(c for c, _ in curl_runs) / 1e6
        summed_rate = size / min(s for _, s in curl_runs) / 1e6
        eonode_rate = size / min(r["seconds"] for r in eonode_runs) / 1e6
        rss = max(r["rss_mb"] for r in eonode_runs)
        print()
        print(f"{'bytes':>12} {'curl MB/s':>10} {'eonode MB/s':>12} {'ratio':>6} {'child peak RSS MB':>18}", end="")
        print(f" {'curl+sha256 MB/s':>17}")
        print(
            f"{size:>12} {curl_rate:>10.0f} {eonode_rate:>12.0f} {eonode_rate / curl_rate:>6.2f} {rss:>18.0f}", end=""
        )
        print(f" {summed_rate:>17.0f}")
        print(f"targets: ratio >= 0.8, peak RSS <= 200 MB ({os.cpu_count()} CPUs, parallel={args.parallel})")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--fetch":
        url, dest, size, sha256, parallel, threshold = sys.argv[2:8]
        child_fetch(url, dest, int(size), sha256, int(parallel), int(threshold))
    else:
        main()
