"""`eonode demo`: a small node network on loopback ports, each node its own process and folder.

* **main** — the national centre: 240 ingested product packages on first start, demo policies
  and the BRICS theme portal; it "acquires" a new synthetic product every few seconds (a package
  delivered into its inbox, ingested as any delivery is).
* **china** — a sub node for China's territory, copying data (``full``).
* **south-america** — a sub node for Brazil, Argentina, Chile, Peru and Colombia, data fetched when
  a user asks for it (``on_demand``), scenes up to 50 % cloud.
* **east-china** — a lower node under *china* for eastern China (a GeoJSON area), wide-field data.

On first start each child asks its parent to join (the same request as `eonode node join`) and
the demo approves it through the parent's administration API. Every line ``<name> <url>`` is
printed as soon as that node answers. A node that exits is started again (its cursor and
partial transfers make that safe); Ctrl-C stops them all.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eonode.demo.packages import generate_package
from eonode.federation.parent_link import link_file, request_join
from eonode.settings import load_settings

EAST_CHINA = {
    "type": "Polygon",
    "coordinates": [[[112.0, 22.0], [123.0, 22.0], [123.0, 41.0], [112.0, 41.0], [112.0, 22.0]]],
}
FIRST_ACQUISITION = 10_000  # the first start's packages use indices from 0
ACQUIRED_FAMILIES = ("gf1-wfv", "gf6-wfv", "gf1-pms", "gf2-pms", "zy3-cresda", "cbers4-cresda", "gf4-pmi")


@dataclass
class DemoNode:
    name: str
    title: str
    port_offset: int
    parent: str | None = None
    agreement: dict[str, Any] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, base_port: int) -> str:
        return f"http://127.0.0.1:{base_port + self.port_offset}"


NODES = (
    DemoNode("main", "eonode demo — main node", 0),
    DemoNode("china", "eonode demo — China sub node", 1, "main", {"territory": ["CN"], "mode": "full"}),
    DemoNode(
        "south-america",
        "eonode demo — South America sub node",
        2,
        "main",
        {"territory": ["BR", "AR", "CL", "PE", "CO"], "max_cloud_cover": 50, "mode": "on_demand"},
    ),
    DemoNode(
        "east-china",
        "eonode demo — East China lower node",
        3,
        "china",
        {"territory": EAST_CHINA, "collections": None, "mode": "full"},
    ),
)


class DemoNetwork:
    def __init__(self, root: Path, base_port: int, *, every: float, portals_file: Path) -> None:
        self.root = root
        self.base_port = base_port
        self.every = every
        self.portals_file = portals_file
        self.token = secrets.token_urlsafe(24)  # this run's administration token of every node
        self.nodes = {n.name: DemoNode(n.name, n.title, n.port_offset, n.parent, n.agreement) for n in NODES}
        self.stopping = threading.Event()

    # -- processes --------------------------------------------------------------------------------
    def _env(self, node: DemoNode) -> dict[str, str]:
        env = {
            **os.environ,
            "EONODE_TITLE": node.title,
            "EONODE_ADMIN_TOKEN": self.token,
            "EONODE_STATUS_SECONDS": "5",
            "EONODE_LOG_LEVEL": os.environ.get("EONODE_LOG_LEVEL", "warning"),
        }
        if node.name == "main":
            env |= {
                "EONODE_INBOX_WATCH": "true",
                "EONODE_INBOX_SETTLE_SECONDS": "1",
                "EONODE_INBOX_POLL_SECONDS": "0.5",
                "EONODE_PORTALS_FILE": str(self.portals_file),
            }
        return env

    def _start(self, node: DemoNode) -> None:
        cmd = [sys.executable, "-m", "eonode", "serve", "--data-dir", str(self.root / node.name)]
        cmd += ["--port", str(self.base_port + node.port_offset)]
        node.process = subprocess.Popen(cmd, env=self._env(node), stdout=subprocess.DEVNULL)

    def _wait_ready(self, node: DemoNode, seconds: float = 120.0) -> None:
        url = node.url(self.base_port)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if node.process is not None and node.process.poll() is not None:
                raise RuntimeError(f"the {node.name} node exited with {node.process.returncode}")
            try:
                if httpx.get(f"{url}/conformance", timeout=2, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the {node.name} node did not answer within {seconds:.0f} s")

    def _enroll(self, node: DemoNode) -> None:
        """First start of a child: ask the parent, then approve as the parent's administrator."""
        assert node.parent is not None and node.agreement is not None
        settings = load_settings(data_dir=self.root / node.name)
        if link_file(settings).exists():
            return
        parent_url = self.nodes[node.parent].url(self.base_port)
        wanted = {k: v for k, v in node.agreement.items() if v is not None}
        answer = request_join(
            settings,
            parent_url,
            {"name": node.name, "contact": f"ops@{node.name}.demo.invalid", "organisation": node.title, **wanted},
        )
        approved = httpx.post(
            f"{parent_url}/admin/nodes/{answer['id']}/approve",
            json={"agreement": wanted},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            trust_env=False,
        )
        approved.raise_for_status()

    def start(self) -> None:
        for node in self.nodes.values():  # parents come before their children
            if node.parent is not None:
                self._enroll(node)
            self._start(node)
            self._wait_ready(node)
            print(f"{node.name} {node.url(self.base_port)}", flush=True)  # scripts wait for these lines

    def stop(self) -> None:
        self.stopping.set()
        for node in reversed(self.nodes.values()):
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes.values():
            if node.process is not None:
                try:
                    node.process.wait(20)
                except subprocess.TimeoutExpired:
                    node.process.kill()

    # -- while running ----------------------------------------------------------------------------
    def acquire(self) -> None:
        """Deliver a new synthetic product into the main node's inbox every ``every`` seconds."""
        inbox = self.root / "main" / "inbox"
        scratch = self.root / "acquisitions"
        scratch.mkdir(parents=True, exist_ok=True)
        counter = scratch / "next-index"  # new products on every run, not the last run's again
        start = int(counter.read_text()) if counter.exists() else FIRST_ACQUISITION
        for index, family in zip(itertools.count(start), itertools.cycle(ACQUIRED_FAMILIES), strict=False):
            if self.stopping.wait(self.every):
                return
            counter.write_text(str(index + 1))
            package = generate_package(family, index, out_dir=scratch)
            partial = inbox / f"{package.name}.part"
            shutil.move(package, partial)
            os.rename(partial, inbox / package.name)

    def supervise(self) -> None:
        """Start again any node that exits, until stopped."""
        while not self.stopping.wait(1.0):
            for node in self.nodes.values():
                if node.process is not None and node.process.poll() is not None and not self.stopping.is_set():
                    print(f"{node.name} exited ({node.process.returncode}); starting it again", file=sys.stderr)
                    self._start(node)
