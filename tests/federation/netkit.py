"""Node networks of real ``eonode serve`` processes on loopback, for the federation tests and
``benchmarks/federation_bench.py``.

Unlike ``tests.server.conftest.start_node`` a :class:`NodeRun` keeps its port across restarts
(a child's link names its parent's URL, so a parent must come back at the same address), writes
its output to a log file rather than an undrained pipe, and can be killed with SIGKILL.
Enrollment goes through the real commands and routes: ``eonode node join`` on the child, then
``POST /admin/nodes/{id}/approve`` on the parent.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from eonode.storage.local import LocalBlobStore
from eonode.storage.store import blob_href
from tests.server.conftest import ADMIN_TOKEN, free_port

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NODE_ENV = {
    "EONODE_ADMIN_TOKEN": ADMIN_TOKEN,
    "EONODE_DEFAULT_DATA_ACCESS": "open",
    "EONODE_LOG_LEVEL": "warning",
    "EONODE_FIRST_ADMIN": "false",
}


def http(timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, trust_env=False)


@dataclass
class NodeRun:
    """One node's data folder and, while it runs, its ``eonode serve`` process."""

    name: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    @property
    def blobs(self) -> LocalBlobStore:
        return LocalBlobStore(self.data_dir / "blobs")

    def start(self, timeout: float = 60.0) -> NodeRun:
        """Start (or restart) the node on its port and wait until it answers."""
        assert self.process is None or self.process.poll() is not None, f"{self.name} is already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "eonode", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1} at {time.time():.3f}\n".encode())
            self.process = subprocess.Popen(
                cmd, env={**os.environ, **NODE_ENV, **self.env}, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        with http(2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
                try:
                    if client.get(f"{self.url}/conformance").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"{self.name} did not answer within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as in a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def peak_rss_kib(self) -> int:
        """VmHWM of the running process (its peak resident memory), KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc status")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- the child's side of federation -----------------------------------------------------------
    def cursor(self) -> int:
        try:
            return int(orjson.loads((self.data_dir / "federation" / "cursor.json").read_bytes())["seq"])
        except (FileNotFoundError, orjson.JSONDecodeError, KeyError):
            return 0

    def key(self) -> str:
        return str(orjson.loads((self.data_dir / "federation" / "parent.json").read_bytes())["key"])


def wait_for(check: Callable[[], Any], seconds: float = 30.0, what: str = "the condition", every: float = 0.1) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s (last: {value!r})")
        time.sleep(every)


# -- enrollment --------------------------------------------------------------------------------------
def enroll(parent: NodeRun, child: NodeRun, agreement: dict[str, Any], *, via: str | None = None) -> int:
    """``eonode node join`` on the child (to ``via``, a proxy, if given), then approval on the
    parent with ``agreement``; returns the child's id at the parent. The child is not started."""
    args = [
        "node",
        "join",
        "--parent",
        via or parent.url,
        "--name",
        child.name,
        "--contact",
        f"ops@{child.name}.example.org",
    ]
    territory = agreement.get("territory")
    if isinstance(territory, list):
        args += ["--territory", ",".join(territory)]
    args += ["--mode", str(agreement.get("mode", "full")), "--data-dir", str(child.data_dir)]
    done = subprocess.run(
        [sys.executable, "-m", "eonode", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **NODE_ENV},
    )
    assert done.returncode == 0, done.stderr
    with http() as client:
        listed = client.get(f"{parent.url}/admin/nodes", headers=ADMIN).json()["nodes"]
        child_id = next(n["id"] for n in listed if n["name"] == child.name)
        approved = client.post(
            f"{parent.url}/admin/nodes/{child_id}/approve", json={"agreement": agreement}, headers=ADMIN
        )
        assert approved.status_code == 200, approved.text
    return int(child_id)


def node_user_id(parent: NodeRun, child_name: str) -> int:
    """The id of the child's machine account at the parent (``node-NAME``)."""
    with http() as client:
        users = client.get(f"{parent.url}/admin/users", params={"q": f"node-{child_name}"}, headers=ADMIN).json()
    return int(next(u["id"] for u in users["users"] if u["username"] == f"node-{child_name}"))


def downloads(parent: NodeRun, user_id: int) -> list[dict[str, Any]]:
    """Every download record of one account at the parent, oldest first."""
    out: list[dict[str, Any]] = []
    with http() as client:
        while True:
            page = client.get(
                f"{parent.url}/admin/users/{user_id}/downloads",
                params={"limit": 1000, "offset": len(out)},
                headers=ADMIN,
            ).json()["downloads"]
            out += page
            if len(page) < 1000:
                return sorted(out, key=lambda d: d["id"])


def tree_report(parent: NodeRun, child_name: str) -> dict[str, Any]:
    with http() as client:
        tree = client.get(f"{parent.url}/admin/nodes/tree", headers=ADMIN).json()
    return next((c["report"] for c in tree["children"] if c["name"] == child_name), {})


# -- catalogue ---------------------------------------------------------------------------------------
def create_collections(node: NodeRun, docs: list[dict[str, Any]]) -> None:
    with http() as client:
        for doc in docs:
            made = client.post(f"{node.url}/collections", json=doc, headers=ADMIN)
            assert made.status_code in (201, 409), made.text


def features(url: str, body: dict[str, Any] | None = None, *, admin: bool = True) -> Iterator[dict[str, Any]]:
    """Every item a search finds, following ``next`` links."""
    request: dict[str, Any] | None = {**(body or {}), "limit": 1000}
    with http(60.0) as client:
        while request is not None:
            page = client.post(f"{url}/search", json=request, headers=ADMIN if admin else {})
            page.raise_for_status()
            doc = page.json()
            yield from doc["features"]
            nxt = next((link for link in doc.get("links", []) if link.get("rel") == "next"), None)
            request = nxt.get("body") if nxt and nxt.get("method") == "POST" else None


def blob_asset(node: NodeRun, data: bytes, *, media_type: str = "application/gzip") -> dict[str, Any]:
    """Put ``data`` into the node's blob folder (safe while it serves) and describe it as a data asset."""
    info = node.blobs.put([data])
    return {
        "href": blob_href(info.sha256),
        "type": media_type,
        "roles": ["data"],
        "file:size": info.size,
        "file:checksum": info.multihash,
    }


def random_chunks(size: int, seed: int, block: int = 8 << 20) -> Iterator[bytes]:
    """``size`` incompressible bytes made fast: one random block, each copy with its own head."""
    base = bytearray(os.urandom(block))
    sent, index = 0, 0
    while sent < size:
        base[:16] = index.to_bytes(8, "big") + seed.to_bytes(8, "big")
        piece = bytes(memoryview(base)[: min(block, size - sent)])
        yield piece
        sent += len(piece)
        index += 1


def big_blob_asset(node: NodeRun, size: int, seed: int = 1) -> dict[str, Any]:
    """A ``size``-byte data asset streamed into the node's blob folder with bounded memory."""
    info = node.blobs.put(random_chunks(size, seed))
    return {
        "href": blob_href(info.sha256),
        "type": "application/octet-stream",
        "roles": ["data"],
        "file:size": info.size,
        "file:checksum": info.multihash,
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def post_item(node: NodeRun, doc: dict[str, Any], client: httpx.Client | None = None) -> httpx.Response:
    own = client or http()
    try:
        return own.post(f"{node.url}/collections/{doc['collection']}/items", json=doc, headers=ADMIN)
    finally:
        if client is None:
            own.close()


def square(lon: float, lat: float, half: float = 0.3) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def product(
    item_id: str,
    *,
    lon: float = 112.0,
    lat: float = 30.0,
    cloud: float | None = 10.0,
    collection: str = "gf1-wfv",
    assets: dict[str, Any] | None = None,
    rev: int = 0,
    when: str = "2025-05-01T03:00:00Z",
) -> dict[str, Any]:
    """A small item document (a square footprint around lon/lat; in China by default)."""
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "collection": collection,
        "geometry": square(lon, lat),
        "properties": {
            "datetime": when,
            "eo:cloud_cover": cloud,
            "processing:level": "L1A",
            "eonode:rev": rev,
        },
        "assets": assets or {},
    }


# -- a proxy between two nodes --------------------------------------------------------------------------
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "upgrade"}


class Proxy:
    """A reverse proxy on loopback in front of a node (uvicorn in a thread). The ``Host`` header
    is passed through, so the node writes the proxy's address into its links and a child that
    follows the proxy fetches bytes through it too. While ``refuse(method, path)`` says so, the
    proxy answers 503 instead of passing the request on; ``rate`` (bytes/s per response) slows
    the bodies of asset downloads, whatever the agreement's own bandwidth cap does."""

    def __init__(self, target: str, *, rate: float | None = None) -> None:
        from starlette.applications import Starlette
        from starlette.routing import Route

        self.target = target
        self.rate = rate
        self.port = free_port()
        self.refuse: Callable[[str, str], bool] = lambda _method, _path: False
        self.refused: list[str] = []
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=methods)])
        self._server: Any = None
        self._thread: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: Any) -> Any:
        import asyncio

        from starlette.background import BackgroundTask
        from starlette.responses import PlainTextResponse, StreamingResponse

        path = request.url.path
        if self.refuse(request.method, path):
            self.refused.append(f"{request.method} {path}")
            return PlainTextResponse("refused by the test proxy", status_code=503)
        client = httpx.AsyncClient(base_url=self.target, timeout=None, trust_env=False)
        headers = [(k, v) for k, v in request.headers.raw if k.decode().lower() not in HOP_HEADERS]
        upstream = client.build_request(
            request.method, path, params=request.url.query or None, headers=headers, content=await request.body()
        )
        reply = await client.send(upstream, stream=True)
        rate = self.rate if "/assets/" in path else None

        async def body() -> Any:
            async for chunk in reply.aiter_raw():
                if rate:
                    await asyncio.sleep(len(chunk) / rate)
                yield chunk

        async def close() -> None:
            await reply.aclose()
            await client.aclose()

        kept = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS - {"content-length"}}
        return StreamingResponse(body(), reply.status_code, headers=kept, background=BackgroundTask(close))

    def __enter__(self) -> Proxy:
        import threading

        import uvicorn

        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-proxy", daemon=True)
        self._thread.start()
        wait_for(lambda: self._server.started, 10, "the proxy", every=0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
