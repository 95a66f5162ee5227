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


def test_demo_announces_its_url_and_serves_scenes(tmp_path: Path) -> None:
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
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "EONODE_LOG_LEVEL": "warning"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == f"main http://127.0.0.1:{port}"
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"}, trust_env=False)
        assert page.status_code == 200 and "Total 40" in page.text
        brics = httpx.get(f"http://127.0.0.1:{port}/p/brics", headers={"Accept": "text/html"}, trust_env=False)
        assert brics.status_code == 200 and "BRICS remote sensing satellite constellation" in brics.text
        found = httpx.get(f"http://127.0.0.1:{port}/search", trust_env=False).json()
        assert found["numberMatched"] == 40
        # The demo node watches its inbox: a delivered package appears, its bytes downloadable
        # (GF-1 WFV data is open on the demo node; GF-2 data needs an approved account).
        package = generate_package("gf1-wfv", 900, out_dir=tmp_path / "delivery")
        inbox = tmp_path / "demo" / "inbox"
        shutil.copy(package, inbox / f"{package.name}.part")
        os.rename(inbox / f"{package.name}.part", inbox / package.name)
        item_id = package.name.removesuffix(".tar.gz")
        url = f"http://127.0.0.1:{port}/collections/gf1-wfv-l1a/items/{item_id}"
        deadline = time.monotonic() + 60
        while (response := httpx.get(url, trust_env=False)).status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert response.status_code == 200
        data = httpx.get(response.json()["assets"]["data"]["href"], trust_env=False)
        assert hashlib.sha256(data.content).digest() == hashlib.sha256(package.read_bytes()).digest()
        gf2 = httpx.get(f"http://127.0.0.1:{port}/collections/gf2-pms-l1a/items", trust_env=False).json()
        gf2_data = httpx.get(gf2["features"][0]["assets"]["data"]["href"], trust_env=False)
        assert gf2_data.status_code == 401 and "sign in" in gf2_data.json()["description"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


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
