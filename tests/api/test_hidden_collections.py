"""A collection someone may not see does not exist for them: not in lists, links, counts, pages,
queryables, item or asset URLs, nor in the change feed. Staff still see everything.

``cbers04-mux`` is visible to operators only (visibility ``role``); ``zy3-nad`` to registered
callers (so anonymous callers miss both). Both policies are set over the API by an administrator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eonode.accounts.model import Role
from eonode.api.app import create_app
from eonode.node import Node
from tests.api.access_fixtures import COLLECTIONS, Account, asset_path, item_ids, local, make_account, open_node

ROLE_ONLY = "cbers04-mux"  # operators (and admins)
REGISTERED = "zy3-nad"  # anyone signed in
UNKNOWN = "no-such-collection"
HIDDEN = {"anonymous": {ROLE_ONLY, REGISTERED}, "user": {ROLE_ONLY}, "node": {ROLE_ONLY}}
OUTSIDERS = sorted(HIDDEN)
STAFF = ["operator", "admin"]


@dataclass
class World:
    node: Node
    client: TestClient
    accounts: dict[str, Account]
    items: dict[str, list[str]]  # collection -> its item ids

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else self.accounts[who].headers

    def get(self, who: str, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params or None, headers=self.headers(who))
        assert response.status_code == 200, f"{who}: {path} {response.text}"
        return response.json()

    def hidden_items(self, who: str) -> set[str]:
        return {i for c in HIDDEN.get(who, ()) for i in self.items[c]}

    def visible(self, who: str) -> list[str]:
        return [c for c in COLLECTIONS if c not in HIDDEN.get(who, set())]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = open_node(Path(tmp_path_factory.mktemp("hidden")))
    accounts = {
        "user": make_account(node, "ursula"),
        "node": make_account(node, "child-node", Role.NODE),
        "operator": make_account(node, "oscar", Role.OPERATOR),
        "admin": make_account(node, "ada", Role.ADMIN),
    }
    items = {c: item_ids(node, c) for c in COLLECTIONS}
    assert all(len(ids) >= 2 for ids in items.values())
    with TestClient(create_app(node)) as client:
        admin = accounts["admin"].headers
        done = client.put(
            f"/admin/collections/{ROLE_ONLY}/policy", json={"visibility": "role", "roles": ["operator"]}, headers=admin
        )
        assert done.status_code == 200, done.text
        done = client.put(f"/admin/collections/{REGISTERED}/policy", json={"visibility": "registered"}, headers=admin)
        assert done.status_code == 200, done.text
        # the anonymous caller pages through everything here: no per-minute limit in the way
        done = client.put("/admin/quotas/anonymous", json={"requests_per_minute": None}, headers=admin)
        assert done.status_code == 200, done.text
        yield World(node, client, accounts, items)
    node.close()


def count(world: World, who: str, collection: str) -> int:
    return int(world.get(who, f"/collections/{collection}/items", limit=1)["numberMatched"])


# -- lists and links ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", OUTSIDERS)
def test_absent_from_collections_and_landing(world: World, who: str) -> None:
    ids = [c["id"] for c in world.get(who, "/collections")["collections"]]
    assert sorted(ids) == world.visible(who)
    landing = world.get(who, "/")
    children = {link["href"].rsplit("/", 1)[1] for link in landing["links"] if link["rel"] == "child"}
    assert children == set(world.visible(who))
    assert not any(h in link["href"] for link in landing["links"] for h in HIDDEN[who])
    page = world.client.get("/", params={"f": "html"}, headers=world.headers(who))
    assert page.status_code == 200
    for hidden in HIDDEN[who]:
        assert hidden not in page.text
    assert not world.hidden_items(who) & set(page.text.split('"'))  # no link to a hidden item either
    total = re.search(r'id="total">Total ([\d,]+)', page.text)  # the image data hub
    assert total, page.text
    assert int(total.group(1).replace(",", "")) == sum(len(world.items[c]) for c in world.visible(who))


@pytest.mark.parametrize("who", STAFF)
def test_staff_see_hidden_collections(world: World, who: str) -> None:
    ids = {c["id"] for c in world.get(who, "/collections")["collections"]}
    assert ids == set(COLLECTIONS)
    for hidden in (ROLE_ONLY, REGISTERED):
        item = world.items[hidden][0]
        assert world.get(who, f"/collections/{hidden}")["id"] == hidden
        assert count(world, who, hidden) == len(world.items[hidden])
        assert world.get(who, f"/collections/{hidden}/items/{item}")["id"] == item
        assert world.client.get(asset_path(hidden, item, "thumbnail"), headers=world.headers(who)).status_code == 200
    search = world.get(who, "/search", collections=ROLE_ONLY, limit=1)
    assert search["numberMatched"] == len(world.items[ROLE_ONLY])
    enum = world.get(who, "/queryables")["properties"]["constellation"]["enum"]
    assert "cbers" in enum and "ziyuan" in enum


# -- every URL of a hidden collection answers exactly like an unknown one -----------------------------------
URLS = [
    "/collections/{c}",
    "/collections/{c}/items",
    "/collections/{c}/items?limit=1&filter=eo:cloud_cover<50",
    "/collections/{c}/items/{i}",
    "/collections/{c}/queryables",
    "/collections/{c}/items/{i}/assets/thumbnail",
    "/collections/{c}/items/{i}/assets/metadata",
    "/collections/{c}/items/{i}/assets/data",
]


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("url", URLS)
def test_hidden_urls_answer_like_unknown_ones(world: World, who: str, url: str) -> None:
    for hidden in HIDDEN[who]:
        item = world.items[hidden][0]
        seen = world.client.get(url.format(c=hidden, i=item), headers=world.headers(who))
        unknown = world.client.get(url.format(c=UNKNOWN, i=item), headers=world.headers(who))
        assert unknown.status_code == 404
        assert seen.status_code == 404, seen.text
        assert seen.json() == json.loads(unknown.text.replace(UNKNOWN, hidden))
        assert seen.headers["content-type"] == unknown.headers["content-type"]
        head = world.client.head(url.format(c=hidden, i=item), headers=world.headers(who))
        assert head.status_code == world.client.head(url.format(c=UNKNOWN, i=item)).status_code


@pytest.mark.parametrize("who", ["user", "node"])
def test_signed_link_for_hidden_asset_answers_like_unknown(world: World, who: str) -> None:
    item = world.items[ROLE_ONLY][0]

    def ask(collection: str) -> Any:
        body = {"collection": collection, "item": item, "asset": "data"}
        return world.client.post("/me/links", json=body, headers=world.headers(who))

    seen, unknown = ask(ROLE_ONLY), ask(UNKNOWN)
    assert (seen.status_code, unknown.status_code) == (404, 404)
    assert seen.json() == json.loads(unknown.text.replace(UNKNOWN, ROLE_ONLY))


# -- search: counts, filters, paging --------------------------------------------------------------------------
@pytest.mark.parametrize("who", OUTSIDERS)
def test_search_counts_only_visible_collections(world: World, who: str) -> None:
    per_collection = {c: count(world, who, c) for c in world.visible(who)}
    visible_total = sum(per_collection.values())
    everything = world.get("admin", "/search", limit=1)["numberMatched"]
    assert everything == sum(len(ids) for ids in world.items.values())
    assert visible_total == everything - sum(len(world.items[h]) for h in HIDDEN[who]) < everything
    assert world.get(who, "/search", limit=1)["numberMatched"] == visible_total
    posted = world.client.post("/search", json={"limit": 1}, headers=world.headers(who))
    assert posted.json()["numberMatched"] == visible_total

    hidden = sorted(HIDDEN[who])
    alone = world.get(who, "/search", collections=",".join(hidden))
    assert (alone["numberMatched"], alone["features"]) == (0, [])
    mixed = world.get(who, "/search", collections=",".join([*hidden, "gf1-wfv"]), limit=1)
    assert mixed["numberMatched"] == per_collection["gf1-wfv"]
    by_id = world.get(who, "/search", ids=",".join(sorted(world.hidden_items(who))))
    assert (by_id["numberMatched"], by_id["features"]) == (0, [])
    posted = world.client.post(
        "/search", json={"collections": hidden, "ids": sorted(world.hidden_items(who))}, headers=world.headers(who)
    )
    assert (posted.json()["numberMatched"], posted.json()["features"]) == (0, [])


@pytest.mark.parametrize("who", OUTSIDERS)
def test_filters_on_collection_and_properties_find_nothing_hidden(world: World, who: str) -> None:
    hidden_list = ", ".join(f"'{c}'" for c in sorted(HIDDEN[who]))
    only_hidden = world.get(who, "/search", filter=f"collection IN ({hidden_list})", limit=1)
    assert only_hidden["numberMatched"] == 0
    assert world.get("admin", "/search", filter=f"collection IN ({hidden_list})", limit=1)["numberMatched"] > 0
    with_visible = world.get(who, "/search", filter=f"collection IN ({hidden_list}, 'gf1-wfv')", limit=1)
    assert with_visible["numberMatched"] == count(world, who, "gf1-wfv")
    cql2_json = {"filter-lang": "cql2-json", "filter": {"op": "=", "args": [{"property": "collection"}, ROLE_ONLY]}}
    posted = world.client.post("/search", json=cql2_json, headers=world.headers(who))
    assert posted.status_code == 200 and posted.json()["numberMatched"] == 0
    # a property only the hidden collection's items carry
    assert world.get(who, "/search", filter="constellation = 'cbers'", limit=1)["numberMatched"] == 0
    assert world.get("admin", "/search", filter="constellation = 'cbers'", limit=1)["numberMatched"] == len(
        world.items[ROLE_ONLY]
    )
    # and OR-ing a hidden collection into a search of a visible one changes nothing
    either = world.get(who, "/search", filter=f"collection = 'gf1-pms' OR collection IN ({hidden_list})", limit=1)
    assert either["numberMatched"] == count(world, who, "gf1-pms")


@pytest.mark.parametrize("who", OUTSIDERS)
def test_paging_with_next_links_never_yields_hidden_items(world: World, who: str) -> None:
    first = world.get(who, "/search", limit=7)
    seen, page, pages = [], first, 0
    while True:
        pages += 1
        seen += [f["id"] for f in page["features"]]
        assert all(f["collection"] not in HIDDEN[who] for f in page["features"])
        nxt = [link for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            break
        assert page["numberMatched"] == first["numberMatched"]
        page = world.get(who, local(nxt[0]["href"]))
    assert pages > 2
    assert len(seen) == len(set(seen)) == first["numberMatched"]
    assert not set(seen) & world.hidden_items(who)

    body: dict[str, Any] = {"limit": 9}
    posted: list[str] = []
    while body is not None:
        response = world.client.post("/search", json=body, headers=world.headers(who)).json()
        posted += [f["id"] for f in response["features"]]
        nxt = [link for link in response["links"] if link["rel"] == "next"]
        body = nxt[0]["body"] if nxt else None
    assert sorted(posted) == sorted(seen)


# -- queryables --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", OUTSIDERS)
def test_global_queryables_leave_out_hidden_summaries(world: World, who: str) -> None:
    props = world.get(who, "/queryables")["properties"]
    staff = world.get("admin", "/queryables")["properties"]
    # values that only the hidden collections' summaries hold
    only_hidden = {
        ROLE_ONLY: {"constellation": "cbers", "instruments": "mux", "gsd": 20.0},
        REGISTERED: {"constellation": "ziyuan", "instruments": "nad", "gsd": 2.1},
    }
    for hidden in HIDDEN[who]:
        for name, value in only_hidden[hidden].items():
            assert value in staff[name]["enum"], (name, value)
            assert value not in props[name]["enum"], (who, name, value)
    assert "gaofen" in props["constellation"]["enum"] and "wfv" in props["instruments"]["enum"]


# -- the change feed ---------------------------------------------------------------------------------------
def feed(world: World, who: str, since: int, limit: int = 1000) -> dict[str, Any]:
    return world.get(who, "/changes", since=since, limit=limit)  # type: ignore[no-any-return]


@pytest.mark.parametrize("who", [w for w in OUTSIDERS if w != "node"])  # a node reads /federation/feed
def test_change_feed_omits_hidden_events_and_moves_on(world: World, who: str) -> None:
    everything = feed(world, "admin", 0)["events"]
    last = everything[-1]["seq"]
    assert any(e["collection"] in HIDDEN[who] for e in everything)
    want = [e["seq"] for e in everything if e["collection"] not in HIDDEN[who]]
    whole = feed(world, who, 0)
    assert [e["seq"] for e in whole["events"]] == want and whole["next"] == last
    # page through in small steps: the cursor always advances, also over pages of hidden events only
    since, got = 0, []
    while True:
        page = feed(world, who, since, limit=4)
        assert all(e["collection"] not in HIDDEN[who] for e in page["events"])
        got += [e["seq"] for e in page["events"]]
        if not page["more"]:
            break
        assert page["next"] > since
        since = page["next"]
        assert page["links"][0]["href"].endswith(f"since={since}&limit=4")
    assert got == want and page["next"] == last


def test_deleting_a_hidden_item_leaves_no_trace_in_the_feed(world: World) -> None:
    before = feed(world, "admin", 0)["next"]
    victim = world.items[ROLE_ONLY][-1]
    deleted = world.client.delete(f"/collections/{ROLE_ONLY}/items/{victim}", headers=world.headers("admin"))
    assert deleted.status_code == 204
    staff = feed(world, "operator", before)
    assert [(e["op"], e.get("item")) for e in staff["events"]] == [("delete", victim)]
    tombstone = staff["events"][0]["seq"]
    for who in (w for w in OUTSIDERS if w != "node"):  # a node reads /federation/feed
        seen = feed(world, who, before)
        assert seen["events"] == [] and seen["next"] == tombstone, who
        assert victim not in json.dumps(feed(world, who, 0))
        assert world.get(who, "/search", ids=victim)["numberMatched"] == 0
    assert world.get("admin", "/search", ids=victim)["numberMatched"] == 0  # gone for staff too
    world.items[ROLE_ONLY].remove(victim)
