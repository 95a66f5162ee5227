"""The README's main command (`eonode demo`) and `eonode serve --workers 2`, as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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
            "--items",
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
        assert page.status_code == 200 and "Latest acquisitions" in page.text
        found = httpx.get(f"http://127.0.0.1:{port}/search", trust_env=False).json()
        assert found["numberMatched"] == 40
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    node = start_node(tmp_path / "node", "--workers", "2")
    try:
        for _ in range(10):
            assert httpx.get(f"{node.url}/search", trust_env=False).json()["numberMatched"] == 0
        children = subprocess.run(["pgrep", "-P", str(node.process.pid)], capture_output=True, text=True).stdout
        assert len(children.split()) >= 2  # the workers (and uvicorn's resource tracker)
    finally:
        node.stop()
        time.sleep(0.2)
