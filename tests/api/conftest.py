from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eonode.api.app import create_app
from eonode.demo.synthetic import populate
from eonode.node import Node
from eonode.settings import load_settings

TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    data_dir: Path = tmp_path_factory.mktemp("node")
    node = Node.open(
        load_settings(data_dir=data_dir, admin_token=TOKEN, max_body_bytes=64 * 1024, default_data_access="open")
    )
    populate(node.catalog, node.blobs, 80, seed=11)
    yield node
    node.close()


@pytest.fixture(scope="module")
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
