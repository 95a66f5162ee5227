"""The `eonode` command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from eonode import __version__
from eonode.catalog.testing import make_collection, make_item
from eonode.db.migrate import head_revision
from tests.server.conftest import start_node


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eonode", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"eonode {__version__}"


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    env = {"EONODE_ADMIN_TOKEN": "a-very-secret-token-123", "EONODE_DATABASE_URL": "postgresql://u:pw@db/x"}
    result = run("config", "show", "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    shown = orjson.loads(result.stdout)
    assert shown["admin_token"] == "********" and "a-very-secret" not in result.stdout
    assert shown["database_url"] == "postgresql+psycopg://u:********@db/x" and "pw" not in result.stdout
    assert shown["data_dir"] == str(tmp_path)


def test_errors_are_one_line(tmp_path: Path) -> None:
    result = run("config", "show", env={"EONODE_PORT": "99999"})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: invalid setting port")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run("catalog", "load", "--data-dir", str(tmp_path / "d"), str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "not valid JSON" in result.stderr


def test_data_dir_defaults(tmp_path: Path) -> None:
    result = run("config", "show", cwd=tmp_path, env={"EONODE_DATA_DIR": ""})
    assert orjson.loads(result.stdout)["data_dir"] in ("eonode-data", str(tmp_path / "eonode-data"))
    result = run("config", "show", env={"EONODE_DATA_DIR": str(tmp_path / "env")})
    assert orjson.loads(result.stdout)["data_dir"] == str(tmp_path / "env")


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = run("db", "upgrade", "--data-dir", str(tmp_path / "n"))
    assert result.returncode == 0 and f"revision {head_revision()}" in result.stdout
    assert (tmp_path / "n" / "catalog.sqlite").exists()
    status = run("db", "status", "--data-dir", str(tmp_path / "n"))
    assert f"database: {head_revision()}" in status.stdout


@pytest.mark.server
def test_catalog_load_while_serving(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    node = start_node(data_dir)
    try:
        lines = [orjson.dumps(make_collection("live"))]
        lines += [orjson.dumps(make_item(f"live-{n}", "live", bbox=(n % 90, 0, n % 90 + 1, 1))) for n in range(2500)]
        lines.append(b'{"type": "Feature", "id": "broken"}')
        path = tmp_path / "items.ndjson"
        path.write_bytes(b"\n".join(lines) + b"\n")
        result = run("catalog", "load", "--data-dir", str(data_dir), str(path))
        assert result.returncode == 1  # one item was refused, and said so
        assert "items created: 2500" in result.stdout and "rejected: 1" in result.stdout
        assert "broken" in result.stderr
        doc = httpx.get(f"{node.url}/search", params={"collections": "live"}, trust_env=False).json()
        assert doc["numberMatched"] == 2500
        again = run("catalog", "load", "--data-dir", str(data_dir), str(path))
        assert "unchanged: 2500" in again.stdout
    finally:
        node.stop()
