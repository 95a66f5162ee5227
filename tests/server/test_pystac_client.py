"""pystac-client against a real `eonode serve`: search, filter and page through everything."""

from __future__ import annotations

import pytest
from pystac_client import Client

from tests.server.conftest import NodeProcess

pytestmark = pytest.mark.server


def test_search_pages_through_exactly_number_matched(served: NodeProcess) -> None:
    client = Client.open(served.url)
    search = client.search(
        bbox=[60, 0, 140, 55],
        datetime="2016-01-01T00:00:00Z/2026-12-31T23:59:59Z",
        filter="eo:cloud_cover <= 60 AND platform IN ('gf-1', 'gf-2', 'gf-6')",
        filter_lang="cql2-text",
        max_items=None,
        limit=7,
    )
    matched = search.matched()
    ids = [item.id for item in search.items()]
    assert matched is not None and matched > 20
    assert len(ids) == matched == len(set(ids))
    for item in search.items():
        assert item.properties["eo:cloud_cover"] <= 60
        assert item.properties["platform"] in ("gf-1", "gf-2", "gf-6")


def test_post_search_with_cql2_json_and_sort(served: NodeProcess) -> None:
    client = Client.open(served.url)
    search = client.search(
        collections=["gf1-wfv", "gf6-wfv"],
        filter={"op": "between", "args": [{"property": "eo:cloud_cover"}, 0, 20]},
        filter_lang="cql2-json",
        sortby=[{"field": "properties.eo:cloud_cover", "direction": "asc"}],
        method="POST",
        limit=5,
    )
    clouds = [item.properties["eo:cloud_cover"] for item in search.items()]
    assert clouds == sorted(clouds) and len(clouds) == search.matched()


def test_collections_and_items(served: NodeProcess) -> None:
    client = Client.open(served.url)
    collections = {c.id for c in client.get_collections()}
    assert {"gf1-wfv", "gf2-pms", "cbers04-mux"} <= collections
    collection = client.get_collection("gf2-pms")
    first = next(collection.get_items())
    assert first.collection_id == "gf2-pms"
    assert first.assets["data"].extra_fields["file:checksum"].startswith("1220")
