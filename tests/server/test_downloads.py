"""Resumable downloads with curl against a real server; the sha256 must match."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import NodeProcess

pytestmark = pytest.mark.server


def test_curl_resumes_and_the_digest_matches(served: NodeProcess, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is required for this test")
    item = httpx.get(f"{served.url}/collections/gf2-pms/items", params={"limit": 1}, trust_env=False).json()
    asset = item["features"][0]["assets"]["data"]
    expected = asset["file:checksum"][4:]
    target = tmp_path / "package.tar.gz"
    full = httpx.get(asset["href"], trust_env=False).content
    target.write_bytes(full[: len(full) // 3])  # an interrupted download
    subprocess.run([curl, "-sS", "-f", "-C", "-", "-o", str(target), asset["href"]], check=True, timeout=60)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected
    assert target.stat().st_size == asset["file:size"]
