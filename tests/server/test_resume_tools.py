"""Resumed downloads with real tools (curl, wget, aria2c) over a real `eonode serve`.

The node serves data to registered users only, so every download carries a credential: a
signed link (the usual way for tools) or an API key as a bearer token. After each resume the
file's sha256 must equal the asset's ``file:checksum``, and the user's download history must
show the bytes actually sent across the partial and the resumed request.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from eonode.accounts.model import Role
from eonode.demo.synthetic import populate, scenes, with_assets
from eonode.node import Node
from eonode.settings import load_settings
from eonode.storage.store import CHUNK, blob_href
from tests.server.conftest import NodeProcess, start_node

pytestmark = pytest.mark.server

SIZE = 16 * 1024 * 1024 + 12_345  # several MiB, not a multiple of the server's chunk size
PASSWORD = "Resume-Me-Please-7"
USERS = ("linker", "killer", "bearer", "wgetter", "ariauser")


@dataclass
class ResumeNode:
    proc: NodeProcess
    keys: dict[str, str]
    asset_url: str
    asset_path: tuple[str, str, str]  # collection, item, asset key
    sha256: str

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[user]}"} if user else {}
        return httpx.Client(base_url=self.proc.url, headers=headers, trust_env=False, timeout=60)

    def signed_link(self, user: str) -> str:
        collection, item, asset = self.asset_path
        with self.client(user) as http:
            made = http.post("/me/links", json={"collection": collection, "item": item, "asset": asset})
        assert made.status_code == 201, made.text
        href: str = made.json()["href"]
        assert href.startswith(self.asset_url + "?") and "sig=" in href
        return href

    def history(self, user: str) -> list[dict[str, Any]]:
        """The user's downloads, oldest first, once none is still running."""
        deadline = time.monotonic() + 15
        with self.client(user) as http:
            while True:
                answer = http.get("/me/downloads")
                assert answer.status_code == 200, answer.text
                rows: list[dict[str, Any]] = answer.json()["downloads"]
                if all(r["status"] != "active" for r in rows) or time.monotonic() > deadline:
                    return rows[::-1]
                time.sleep(0.05)


@pytest.fixture(scope="module")
def resume_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResumeNode]:
    data_dir = tmp_path_factory.mktemp("resume-node")
    node = Node.open(load_settings(data_dir=data_dir))
    try:
        populate(node.catalog, node.blobs, 2, seed=3, extensions=False)
        doc = with_assets(next(scenes(1, seed=4242, extensions=False)), node.blobs, 4242)
        data = os.urandom(SIZE)
        info = node.blobs.put(data[i : i + CHUNK] for i in range(0, SIZE, CHUNK))
        doc["assets"]["data"].update(
            {"href": blob_href(info.sha256), "file:size": info.size, "file:checksum": info.multihash}
        )
        node.catalog.upsert_items([doc])
        keys = {}
        for name in USERS:
            user = node.accounts.users.add_user(name, f"{name}@example.org", PASSWORD, role=Role.USER)
            keys[name] = node.accounts.users.create_key(user, "tools")[1]
    finally:
        node.close()
    proc = start_node(data_dir, env={"EONODE_DEFAULT_DATA_ACCESS": "registered"})
    try:
        item = httpx.get(f"{proc.url}/collections/{doc['collection']}/items/{doc['id']}", trust_env=False).json()
        asset = item["assets"]["data"]
        assert asset["file:size"] == SIZE
        assert asset["file:checksum"] == "1220" + hashlib.sha256(data).hexdigest()
        yield ResumeNode(
            proc,
            keys,
            asset_url=asset["href"],
            asset_path=(doc["collection"], doc["id"], "data"),
            sha256=asset["file:checksum"][4:],
        )
    finally:
        proc.stop()


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed on this machine (the test set-up script installs it)")
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def write_first_part(node: ResumeNode, url: str, target: Path, n: int, headers: dict[str, str] | None = None) -> None:
    """An interrupted download: the first ``n`` bytes, fetched with a ranged request."""
    answer = httpx.get(url, headers={**(headers or {}), "Range": f"bytes=0-{n - 1}"}, trust_env=False, timeout=60)
    assert answer.status_code == 206, answer.text
    assert answer.headers["content-range"] == f"bytes 0-{n - 1}/{SIZE}"
    assert len(answer.content) == n
    target.write_bytes(answer.content)


def assert_resumed(history: list[dict[str, Any]], first: int, via: str) -> None:
    """Exactly two requests: bytes 0..first-1, then the rest; together the whole file."""
    assert [r["range"] for r in history] == [[0, first - 1], [first, SIZE - 1]], history
    assert [r["bytes"] for r in history] == [first, SIZE - first]
    assert sum(r["bytes"] for r in history) == SIZE
    assert {r["status"] for r in history} == {"done"}
    assert {r["via"] for r in history} == {via}


def test_the_data_needs_an_account(resume_node: ResumeNode) -> None:
    anonymous = httpx.get(resume_node.asset_url, trust_env=False)
    assert anonymous.status_code == 401, anonymous.text
    link = resume_node.signed_link("linker")
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    assert httpx.get(tampered, trust_env=False).status_code == 403
    assert httpx.head(link, trust_env=False).status_code == 200


def test_curl_resumes_a_signed_link(resume_node: ResumeNode, tmp_path: Path) -> None:
    curl = tool("curl")
    link = resume_node.signed_link("linker")
    target = tmp_path / "scene.tar.gz"
    first = SIZE // 3
    subprocess.run([curl, "-sS", "-f", "--range", f"0-{first - 1}", "-o", str(target), link], check=True, timeout=60)
    assert target.stat().st_size == first
    subprocess.run([curl, "-sS", "-f", "-C", "-", "-o", str(target), link], check=True, timeout=60)
    assert target.stat().st_size == SIZE
    assert sha256_of(target) == resume_node.sha256
    assert_resumed(resume_node.history("linker"), first, "link")


class CuttingProxy:
    """A TCP relay for one connection that drops it after passing ``cut_after`` response bytes:
    the network failing mid-download."""

    def __init__(self, upstream: str, cut_after: int) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.cut_after = cut_after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.relayed = 0
        self.thread = threading.Thread(target=self._relay, daemon=True)
        self.thread.start()

    def _relay(self) -> None:
        self.listener.settimeout(30)
        client, _ = self.listener.accept()
        upstream = socket.socket()
        # A small receive buffer: what the server can push beyond the cut stays well below the file.
        upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        upstream.settimeout(30)
        upstream.connect(self.upstream)
        with client, upstream:
            request = b""
            while b"\r\n\r\n" not in request:
                data = client.recv(65536)
                if not data:
                    return
                request += data
            upstream.sendall(request)
            while self.relayed < self.cut_after:
                data = upstream.recv(min(65536, self.cut_after - self.relayed))
                if not data:
                    break
                client.sendall(data)
                self.relayed += len(data)

    def url(self, url: str) -> str:
        return urlunsplit(urlsplit(url)._replace(netloc=f"127.0.0.1:{self.port}"))

    def close(self) -> None:
        self.thread.join(30)
        self.listener.close()


def test_curl_resumes_after_the_connection_drops(resume_node: ResumeNode, tmp_path: Path) -> None:
    curl = tool("curl")
    link = resume_node.signed_link("killer")
    target = tmp_path / "scene.tar.gz"
    proxy = CuttingProxy(link, cut_after=2 * CHUNK + 4321)
    try:
        cut = subprocess.run([curl, "-sS", "-f", "-o", str(target), proxy.url(link)], timeout=60, capture_output=True)
    finally:
        proxy.close()
    assert cut.returncode == 18, cut.stderr  # "transfer closed with bytes remaining"
    partial = target.stat().st_size
    assert 2 * CHUNK < partial < proxy.relayed  # the relayed bytes include the response head
    subprocess.run([curl, "-sS", "-f", "-C", "-", "-o", str(target), link], check=True, timeout=60)
    assert sha256_of(target) == resume_node.sha256

    cut_off, resumed = resume_node.history("killer")
    assert cut_off["status"] == "aborted"
    assert cut_off["range"] == [0, SIZE - 1]
    # The server counts what it handed to its socket: at least what reached curl, maybe more.
    assert partial <= cut_off["bytes"] < SIZE
    assert resumed["status"] == "done"
    assert resumed["range"] == [partial, SIZE - 1]
    assert resumed["bytes"] == SIZE - partial
    assert SIZE <= cut_off["bytes"] + resumed["bytes"] < SIZE + 8 * CHUNK


def test_curl_resumes_with_an_api_key(resume_node: ResumeNode, tmp_path: Path) -> None:
    curl = tool("curl")
    url = resume_node.asset_url
    target = tmp_path / "scene.tar.gz"
    refused = subprocess.run([curl, "-sS", "-f", "-o", str(tmp_path / "nothing"), url], timeout=60)
    assert refused.returncode == 22  # HTTP 401 without a credential
    auth = f"Authorization: Bearer {resume_node.keys['bearer']}"
    first = 3 * CHUNK + 17
    write_first_part(resume_node, url, target, first, {"Authorization": auth.partition(": ")[2]})
    subprocess.run([curl, "-sS", "-f", "-H", auth, "-C", "-", "-o", str(target), url], check=True, timeout=60)
    assert sha256_of(target) == resume_node.sha256
    assert_resumed(resume_node.history("bearer"), first, "key")


def test_wget_continues(resume_node: ResumeNode, tmp_path: Path) -> None:
    wget = tool("wget")
    link = resume_node.signed_link("wgetter")
    target = tmp_path / "scene.tar.gz"
    first = SIZE // 2 + 1
    write_first_part(resume_node, link, target, first)
    subprocess.run([wget, "-q", "-c", "-O", str(target), link], check=True, timeout=60)
    assert target.stat().st_size == SIZE
    assert sha256_of(target) == resume_node.sha256
    assert_resumed(resume_node.history("wgetter"), first, "link")


def test_aria2c_continues(resume_node: ResumeNode, tmp_path: Path) -> None:
    aria2c = tool("aria2c")
    link = resume_node.signed_link("ariauser")
    target = tmp_path / "scene.tar.gz"
    first = SIZE - 5 * CHUNK
    write_first_part(resume_node, link, target, first)
    subprocess.run(
        [
            aria2c,
            "--quiet",
            "--continue=true",
            "--auto-file-renaming=false",
            "--split=1",
            "--max-connection-per-server=1",
            f"--checksum=sha-256={resume_node.sha256}",
            f"--dir={tmp_path}",
            f"--out={target.name}",
            link,
        ],
        check=True,
        timeout=60,
    )
    assert target.stat().st_size == SIZE
    assert sha256_of(target) == resume_node.sha256
    # aria2c first probes with a plain GET (dropped once it has the headers), then resumes from the
    # start of the piece holding byte ``first``: every request is in the history with what it cost.
    *probes, resumed = resume_node.history("ariauser")
    assert probes[0]["range"] == [0, first - 1] and probes[0]["bytes"] == first
    assert all(p["status"] == "aborted" and 0 <= p["bytes"] < SIZE for p in probes[1:]), probes
    start = resumed["range"][0]
    assert 0 < start <= first
    assert resumed["range"] == [start, SIZE - 1]
    assert resumed["bytes"] == SIZE - start
    assert resumed["status"] == "done"
    assert sum(r["bytes"] for r in [*probes, resumed]) >= SIZE
