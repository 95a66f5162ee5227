"""Real `eonode serve` processes on loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eonode.demo.synthetic import populate
from eonode.node import Node
from eonode.settings import load_settings

ADMIN_TOKEN = "server-test-admin-token-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NodeProcess:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_node(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> NodeProcess:
    port = free_port()
    cmd = [sys.executable, "-m", "eonode", "serve", "--data-dir", str(data_dir), "--port", str(port), *extra]
    full_env = {
        **os.environ,
        "EONODE_ADMIN_TOKEN": ADMIN_TOKEN,
        "EONODE_LOG_LEVEL": "warning",
        "EONODE_DEFAULT_DATA_ACCESS": "open",
        **(env or {}),
    }
    # Output goes to a file beside the data folder: a pipe nobody drains fills up and stops the node.
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = log_path.read_text(errors="replace")[-5000:]
            raise RuntimeError(f"eonode serve exited with {process.returncode}:\n{out}")
        try:
            if httpx.get(f"{url}/conformance", timeout=1, trust_env=False).status_code == 200:
                return NodeProcess(url, data_dir, process, log_path)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("eonode serve did not answer within 60 s")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("served")
    node = Node.open(load_settings(data_dir=data_dir))
    try:
        # No stac_extensions: the offline validator can resolve only the core STAC schemas.
        populate(node.catalog, node.blobs, 300, seed=5, extensions=False)
    finally:
        node.close()
    return data_dir


@pytest.fixture(scope="session")
def served(demo_dir: Path) -> Iterator[NodeProcess]:
    node = start_node(demo_dir)
    yield node
    node.stop()
