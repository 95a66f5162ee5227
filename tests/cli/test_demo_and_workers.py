"""The README's main command (`eonode demo`) and `eonode serve --workers 2`, as real processes."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eonode.demo.packages import generate_package
from tests.server.conftest import free_port, start_node

pytestmark = pytest.mark.server


def _count(url: str, body: dict[str, object] | None = None) -> int:
    return int(httpx.post(f"{url}/search", json=body or {}, trust_env=False).json()["numberMatched"])


def _until(check, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def test_demo_runs_a_network_that_keeps_acquiring(tmp_path: Path) -> None:
    """Four nodes announce themselves in order; the main node serves its ingested scenes and a
    delivered package; new acquisitions flow down to the nodes whose territory they fall in."""
    from shapely.geometry import mapping

    from eonode.demo.network import EAST_CHINA
    from eonode.geo.countries import country

    port = free_port()
    while any(_port_taken(port + k) for k in range(4)):
        port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eonode",
            "demo",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
            "--packages",
            "40",
            "--every",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "EONODE_LOG_LEVEL": "warning"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        urls = {
            name: f"http://127.0.0.1:{port + k}"
            for k, name in enumerate(("main", "china", "south-america", "east-china"))
        }
        assert lines == [f"{name} {url}" for name, url in urls.items()]
        main = urls["main"]
        page = httpx.get(f"{main}/", headers={"Accept": "text/html"}, trust_env=False)
        assert page.status_code == 200 and "Total" in page.text
        brics = httpx.get(f"{main}/p/brics", headers={"Accept": "text/html"}, trust_env=False)
        assert brics.status_code == 200 and "BRICS remote sensing satellite constellation" in brics.text
        assert _until(lambda: _count(main) > 42, 60), "the main node should keep acquiring products"
        # The main node watches its inbox: a delivered package appears, its bytes downloadable
        # (GF-1 WFV data is open on the demo node; GF-2 data needs an approved account).
        package = generate_package("gf1-wfv", 900, out_dir=tmp_path / "delivery")
        inbox = tmp_path / "demo" / "main" / "inbox"
        shutil.copy(package, inbox / f"{package.name}.part")
        os.rename(inbox / f"{package.name}.part", inbox / package.name)
        item_id = package.name.removesuffix(".tar.gz")
        url = f"{main}/collections/gf1-wfv-l1a/items/{item_id}"
        response = _until(lambda: (r := httpx.get(url, trust_env=False)).status_code == 200 and r, 60)
        assert response
        data = httpx.get(response.json()["assets"]["data"]["href"], trust_env=False)
        assert hashlib.sha256(data.content).digest() == hashlib.sha256(package.read_bytes()).digest()
        gf2 = httpx.get(f"{main}/collections/gf2-pms-l1a/items", trust_env=False).json()
        gf2_data = httpx.get(gf2["features"][0]["assets"]["data"]["href"], trust_env=False)
        assert gf2_data.status_code == 401 and "sign in" in gf2_data.json()["description"]
        # Down the tree: china holds what main has in China, east-china what china has in its area.
        china = {"intersects": mapping(country("CN").geometry)}
        assert _until(lambda: _count(urls["china"]) == _count(main, china) > 0, 60)
        assert _until(lambda: _count(urls["east-china"]) == _count(urls["china"], {"intersects": EAST_CHINA}) > 0, 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    env = {"EONODE_INBOX_SETTLE_SECONDS": "0.5", "EONODE_INBOX_POLL_SECONDS": "0.2"}
    node = start_node(tmp_path / "node", "--workers", "2", "--watch-inbox", env=env)
    try:
        for _ in range(10):
            assert httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"] == 0
        children = subprocess.run(["pgrep", "-P", str(node.process.pid)], capture_output=True, text=True).stdout
        assert len(children.split()) >= 2  # the workers (and uvicorn's resource tracker)
        # Both workers offer to watch the inbox; the lock lets one ingest each delivery exactly once.
        inbox = tmp_path / "node" / "inbox"
        for k, family in enumerate(["gf1-pms", "gf6-wfv", "hy1-czi"]):
            generate_package(family, 910 + k, out_dir=inbox)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"] == 3:
                break
            time.sleep(0.2)
        assert httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"] == 3
        assert not (tmp_path / "node" / "quarantine").exists() or not any((tmp_path / "node" / "quarantine").iterdir())
    finally:
        node.stop()
        time.sleep(0.2)
