"""Every endpoint × every kind of caller → the status the access rules promise.

The callers: anonymous, two users (A holds an approval grant, B holds nothing), an operator, an
administrator, a machine account of a child node (with a purchase grant), and the node's
``admin_token``. All authenticated callers use ``Authorization: Bearer``.

Collection policies of the node under test (its default: public metadata, data for registered users):

=============  ===========  ===========
collection     visibility   data access
=============  ===========  ===========
gf1-wfv        public       open
gf1-pms        public       registered (the default)
gf2-pms        public       approval   (user A granted; the node account's agreement covers it)
gf6-wfv        public       purchase   (the node account granted)
zy3-nad        public       none
cbers04-mux    registered   open
scratch        public       registered (a spare collection the table writes to)
=============  ===========  ===========
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eonode.accounts.model import Role
from eonode.api.app import create_app
from eonode.demo.synthetic import collections as demo_collections
from eonode.demo.synthetic import scenes
from eonode.node import Node
from tests.api.access_fixtures import (
    ADMIN_TOKEN,
    Account,
    asset_path,
    bearer,
    enrolled_node,
    first_item,
    fresh_client,
    json_login,
    make_account,
    open_node,
)

ANON, USER, USER_B, OPERATOR, ADMIN, NODE, TOKEN = "anonymous", "user", "user_b", "operator", "admin", "node", "token"
PRINCIPALS = (ANON, USER, USER_B, OPERATOR, ADMIN, NODE, TOKEN)
OK, UNAUTH, FORBID, MISSING = "2xx", 401, 403, 404
ALL = (OK,) * 7
SIGNED_IN = (UNAUTH, OK, OK, OK, OK, OK, UNAUTH)  # /me: accounts only (the admin token is no account)
STAFF_READ = (UNAUTH, FORBID, FORBID, OK, OK, FORBID, OK)
ADMIN_ONLY = (UNAUTH, FORBID, FORBID, FORBID, OK, FORBID, OK)
NODE_ONLY = (UNAUTH, FORBID, FORBID, FORBID, FORBID, OK, FORBID)  # an approved child's machine account
ONCE = (UNAUTH, FORBID, FORBID, FORBID, OK, FORBID, 409)  # the admin does it; the token then finds it done


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expected: tuple[Any, ...]
    body: Any = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def data(collection: str) -> str:
    return asset_path(collection, "{item[%s]}" % collection, "data")  # noqa: UP031 - filled per request


def thumbnail(collection: str) -> str:
    return asset_path(collection, "{item[%s]}" % collection, "thumbnail")  # noqa: UP031


def item_doc() -> dict[str, Any]:
    doc = next(iter(scenes(1, seed=99)))
    return {**doc, "id": "tx-{who}", "collection": "scratch"}


FEDERATION_ROWS = [
    Row(
        "POST",
        "/federation/join",
        (202,) * 7,
        body={"name": "n-{who}", "contact": "ops@n.example.org", "key": "eon_{who}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    ),
    Row("GET", "/federation/join", (400,) * 7),  # the credential goes in X-Eonode-Node-Key
    Row("GET", "/federation/me", NODE_ONLY),
    Row("GET", "/federation/feed", NODE_ONLY),
    Row("GET", "/federation/inventory", NODE_ONLY),
    Row("GET", "/federation/stream", (UNAUTH, FORBID, FORBID, FORBID, FORBID, None, FORBID)),
    Row("POST", "/federation/status", NODE_ONLY, body={"name": "{who}"}),
    Row("POST", "/federation/ack", NODE_ONLY, body={"delivered": []}),
    Row("GET", "/admin/nodes", STAFF_READ),
    Row("GET", "/admin/nodes/tree", STAFF_READ),
    Row("GET", "/admin/nodes/{nodes[child-node]}/reports", STAFF_READ),
    Row("GET", "/admin/nodes/{nodes[child-node]}/deliveries", STAFF_READ),
    Row("PUT", "/admin/nodes/{nodes[child-node]}/agreement", ADMIN_ONLY, body={}),
    Row("POST", "/admin/nodes/{nodes[child-node]}/resync", ADMIN_ONLY, body={"since": 0}),
    Row("POST", "/admin/nodes/{nodes[spare-a]}/approve", ONCE, body={}),
    Row("POST", "/admin/nodes/{nodes[spare-r]}/reject", ONCE, body={"reason": "no"}),
    Row("POST", "/admin/nodes/{nodes[spare-v]}/revoke", ONCE, body={"reason": "no"}),
]

ROWS = [
    #                                                          anon    user    user_b  oper    admin   node    token
    # -- catalogue reads
    Row("GET", "/", ALL),
    Row("GET", "/conformance", ALL),
    Row("GET", "/collections", ALL),
    Row("GET", "/collections/gf1-pms", ALL),
    Row("GET", "/collections/cbers04-mux", (MISSING, OK, OK, OK, OK, OK, OK)),
    Row("GET", "/collections/no-such-collection", (MISSING,) * 7),
    Row("GET", "/search", ALL),
    Row("POST", "/search", ALL, body={"collections": ["gf1-pms"], "limit": 2}),
    Row("GET", "/collections/gf1-pms/items", ALL),
    Row("GET", "/collections/cbers04-mux/items", (MISSING, OK, OK, OK, OK, OK, OK)),
    Row("GET", "/collections/gf1-pms/items/{item[gf1-pms]}", ALL),
    Row("GET", "/collections/cbers04-mux/items/{item[cbers04-mux]}", (MISSING, OK, OK, OK, OK, OK, OK)),
    Row("GET", "/queryables", ALL),
    Row("GET", "/collections/gf1-pms/queryables", ALL),
    Row("GET", "/collections/cbers04-mux/queryables", (MISSING, OK, OK, OK, OK, OK, OK)),
    Row("GET", "/changes", (OK, OK, OK, OK, OK, FORBID, OK)),  # a child node reads /federation/feed
    # -- data downloads, one row per data-access policy
    Row("GET", data("gf1-wfv"), ALL),
    Row("GET", data("gf1-pms"), (UNAUTH, OK, OK, OK, OK, OK, OK)),
    Row("HEAD", data("gf1-pms"), (UNAUTH, OK, OK, OK, OK, OK, OK)),
    Row("GET", data("gf2-pms"), (UNAUTH, OK, FORBID, OK, OK, OK, OK)),  # the node: its agreement licenses it
    Row("GET", data("gf6-wfv"), (UNAUTH, FORBID, FORBID, OK, OK, OK, OK)),
    Row("GET", data("zy3-nad"), (FORBID, FORBID, FORBID, OK, OK, FORBID, OK)),
    Row("GET", data("cbers04-mux"), (MISSING, OK, OK, OK, OK, OK, OK)),
    # -- previews are metadata: whoever sees the collection may fetch them, whatever its data access
    Row("GET", thumbnail("gf1-pms"), ALL),
    Row("GET", thumbnail("zy3-nad"), ALL),
    Row("GET", thumbnail("cbers04-mux"), (MISSING, OK, OK, OK, OK, OK, OK)),
    # -- my account
    Row("GET", "/me", SIGNED_IN),
    Row("PATCH", "/me", SIGNED_IN, body={"organisation": "Org of {who}"}),
    Row("GET", "/me/keys", SIGNED_IN),
    Row("POST", "/me/keys", SIGNED_IN, body={"name": "made by {who}"}),
    Row("DELETE", "/me/keys/{spare_key}", SIGNED_IN),
    Row("GET", "/me/downloads", SIGNED_IN),
    # the access check passes for the owner, then the unchanged password is refused (400)
    Row(
        "POST", "/me/password", (UNAUTH, 400, 400, 400, 400, 400, UNAUTH), body={"current": "{pw}", "password": "{pw}"}
    ),
    Row("GET", "/me/grants", SIGNED_IN),
    Row("GET", "/me/quota", ALL),
    Row("POST", "/me/links", SIGNED_IN, body={"collection": "gf1-pms", "item": "{item[gf1-pms]}", "asset": "data"}),
    Row(
        "POST",
        "/me/links",
        (UNAUTH, FORBID, FORBID, OK, OK, FORBID, UNAUTH),
        body={"collection": "zy3-nad", "item": "{item[zy3-nad]}", "asset": "data"},
    ),
    # -- administration: operators read, administrators change
    Row("GET", "/admin/users", STAFF_READ),
    Row("GET", "/admin/users/{user_b}", STAFF_READ),
    Row("GET", "/admin/users/999999", (UNAUTH, FORBID, FORBID, MISSING, MISSING, FORBID, MISSING)),
    Row("PATCH", "/admin/users/{user_b}", ADMIN_ONLY, body={"status": "active"}),
    Row("GET", "/admin/users/{user_b}/downloads", STAFF_READ),
    Row("PUT", "/admin/users/{user_b}/quota", ADMIN_ONLY, body={}),
    Row(
        "POST",
        "/admin/users/{user_b}/grants",
        (UNAUTH, FORBID, FORBID, FORBID, 201, FORBID, 201),
        body={"collection": "scratch"},
    ),
    Row("DELETE", "/admin/users/{user_b}/grants/scratch/approval", ADMIN_ONLY),
    Row("GET", "/admin/quotas", STAFF_READ),
    Row("PUT", "/admin/quotas/node", ADMIN_ONLY, body={}),
    Row("GET", "/admin/policies", STAFF_READ),
    Row("GET", "/admin/collections/scratch/policy", STAFF_READ),
    Row("PUT", "/admin/collections/scratch/policy", ADMIN_ONLY, body={"data_access": "registered"}),
    Row("DELETE", "/admin/collections/scratch/policy", ADMIN_ONLY),
    Row("GET", "/admin/audit", STAFF_READ),
    # -- STAC transactions: operators and administrators (the write guard runs before any lookup)
    Row("POST", "/collections/scratch/items", (UNAUTH, FORBID, FORBID, 201, 201, FORBID, 201), body=item_doc()),
    Row(
        "DELETE", "/collections/scratch/items/no-such-item", (UNAUTH, FORBID, FORBID, MISSING, MISSING, FORBID, MISSING)
    ),
    *FEDERATION_ROWS,
]


@dataclass
class World:
    node: Node
    client: TestClient
    accounts: dict[str, Account]
    spare_keys: dict[str, int]
    items: dict[str, str]
    nodes: dict[str, int]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = open_node(Path(tmp_path_factory.mktemp("matrix")))
    access = node.accounts.access
    access.set_policy("gf1-wfv", data_access="open", actor="tests")
    access.set_policy("gf2-pms", data_access="approval", actor="tests")
    access.set_policy("gf6-wfv", data_access="purchase", actor="tests")
    access.set_policy("zy3-nad", data_access="none", actor="tests")
    access.set_policy("cbers04-mux", visibility="registered", data_access="open", actor="tests")
    node.catalog.put_collection({**demo_collections()[0], "id": "scratch", "title": "Scratch"})
    accounts = {
        USER: make_account(node, "alice"),
        USER_B: make_account(node, "bob"),
        OPERATOR: make_account(node, "oscar", Role.OPERATOR),
        ADMIN: make_account(node, "ada", Role.ADMIN),
        NODE: enrolled_node(node, "child-node"),
    }
    spare_key = "eon_spare-{}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    nodes = {
        name: node.children.request(name=name, contact="ops@spare.example.org", key=spare_key.format(name)).id
        for name in ("spare-a", "spare-r")
    }
    nodes["spare-v"] = node.children.by_name(enrolled_node(node, "spare-v").user.username.removeprefix("node-")).id
    nodes["child-node"] = node.children.by_name("child-node").id
    access.grant(accounts[USER].id, "gf2-pms", "approval", actor="tests")
    access.grant(accounts[NODE].id, "gf6-wfv", "purchase", actor="tests")
    spare = {who: node.accounts.users.create_key(a.user, "spare")[0].id for who, a in accounts.items()}
    spare[ANON] = spare[TOKEN] = spare[USER]  # callers without an account aim at A's spare key
    items = {c: first_item(node, c) for c in node.catalog.collection_ids() if c != "scratch"}
    with TestClient(create_app(node)) as client:
        yield World(node, client, accounts, spare, items, nodes)
    node.close()


def headers_of(world: World, who: str) -> dict[str, str]:
    if who == ANON:
        return {}
    if who == TOKEN:
        return bearer(ADMIN_TOKEN)
    return world.accounts[who].headers


def fill(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**context)
    if isinstance(value, dict):
        return {k: fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, context) for v in value]
    return value


def matches(expected: Any, status: int) -> bool:
    return 200 <= status < 300 if expected == OK else status == expected


def test_every_account_route_has_a_row(world: World) -> None:
    """A route under /me, /admin or /federation without a row in the table fails here (add the
    row). Routes are read from the OpenAPI document: the framework's route list nests included
    routers in versions of its own choosing."""
    paths = world.client.get("/api").json()["paths"]
    checked, missing = 0, []
    for path, operations in paths.items():
        if not path.startswith(("/me", "/admin", "/federation")):
            continue
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in sorted(m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")):
            checked += 1
            if not any(r.method == method and pattern.match(r.path) for r in ROWS):
                missing.append(f"{method} {path}")
    assert checked >= 40, f"only {checked} routes found: is the OpenAPI document complete?"
    assert not missing, missing


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_access_matrix(world: World, row: Row) -> None:
    wrong = []
    for who, expected in zip(PRINCIPALS, row.expected, strict=True):
        if expected is None:
            continue  # not asked of this caller here (an endless stream: tests/federation covers it)
        context = {
            "who": who.replace("_", "-"),
            "item": world.items,
            "spare_key": world.spare_keys[who],
            "user_b": world.accounts[USER_B].id,
            "nodes": world.nodes,
            "pw": world.accounts[who].password if who in world.accounts else "whatever-1234",
        }
        path = fill(row.path, context)
        kwargs: dict[str, Any] = {"headers": headers_of(world, who)}
        if row.body is not None:
            kwargs["json"] = fill(row.body, context)
        response = world.client.request(row.method, path, **kwargs)
        if not matches(expected, response.status_code):
            wrong.append(f"{who}: {row.method} {path} → {response.status_code} {response.text[:200]} (want {expected})")
            continue
        if response.status_code >= 400 and row.method != "HEAD":
            body = response.json()
            assert set(body) == {"code", "description"}, body
            if response.status_code == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
    assert not wrong, "\n".join(wrong)


# -- one user never reaches another's account ------------------------------------------------------------
def test_user_a_cannot_see_user_b(world: World) -> None:
    client, a, b = world.client, world.accounts[USER], world.accounts[USER_B]
    admin = world.accounts[ADMIN].headers
    got = client.get(asset_path("gf1-pms", world.items["gf1-pms"], "data"), headers=b.headers)
    assert got.status_code == 200
    b_downloads = {d["id"] for d in client.get("/me/downloads", headers=b.headers).json()["downloads"]}
    assert b_downloads, "B's download is in B's history"
    assert b_downloads <= {
        d["id"] for d in client.get(f"/admin/users/{b.id}/downloads", headers=admin).json()["downloads"]
    }
    b_keys = {k["id"] for k in client.get(f"/admin/users/{b.id}", headers=admin).json()["keys"]}
    assert b.key_id in b_keys

    # A's own views hold only A's things, whatever A adds to the query
    for query in ("", f"?user_id={b.id}&user={b.user.username}&id={b.id}"):
        profile = client.get(f"/me{query}", headers=a.headers).json()
        assert (profile["id"], profile["username"]) == (a.id, "alice")
        keys = {k["id"] for k in client.get(f"/me/keys{query}", headers=a.headers).json()["keys"]}
        assert a.key_id in keys and not keys & b_keys
        downloads = client.get(f"/me/downloads{query}", headers=a.headers).json()["downloads"]
        assert not {d["id"] for d in downloads} & b_downloads
    # and the administrators' views of B are closed to A
    for path in (f"/admin/users/{b.id}", f"/admin/users/{b.id}/downloads", f"/admin/users?q={b.user.username}"):
        refused = client.get(path, headers=a.headers)
        assert refused.status_code == 403, path
        assert "bob" not in refused.text
    assert client.get(f"/me/grants?user_id={b.id}", headers=a.headers).json()["grants"] == [
        g for g in client.get("/me/grants", headers=a.headers).json()["grants"]
    ]


def test_user_a_cannot_revoke_user_b_key(world: World) -> None:
    client, a, b = world.client, world.accounts[USER], world.accounts[USER_B]
    response = client.delete(f"/me/keys/{b.key_id}", headers=a.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    # nor through the portal form, with a valid session and CSRF token
    browser = fresh_client(client)
    csrf = json_login(browser, "alice", a.password)
    form = browser.post(f"/account/keys/{b.key_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert form.status_code == 404
    still = client.get("/me", headers=b.headers)
    assert still.status_code == 200 and still.json()["id"] == b.id
    keys = client.get("/me/keys", headers=b.headers).json()["keys"]
    assert next(k for k in keys if k["id"] == b.key_id)["revoked"] is False


# -- credentials that are not (or no longer) good ------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    ["Bearer eon_not-a-real-key-at-all-0000000000", "Bearer some-other-token-0000", "Basic YWxpY2U6cHc=", "Bearer"],
)
def test_bad_credentials_are_refused_even_on_public_routes(world: World, header: str) -> None:
    response = world.client.get("/collections", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_disabled_account_key_is_refused_until_enabled(world: World) -> None:
    client, admin = world.client, world.accounts[ADMIN].headers
    carol = make_account(world.node, "carol")
    assert client.get("/me", headers=carol.headers).status_code == 200
    assert client.patch(f"/admin/users/{carol.id}", json={"status": "disabled"}, headers=admin).status_code == 200
    for path in ("/me", "/collections", asset_path("gf1-pms", world.items["gf1-pms"], "data")):
        refused = client.get(path, headers=carol.headers)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "AccountInactive"
    assert client.patch(f"/admin/users/{carol.id}", json={"status": "active"}, headers=admin).status_code == 200
    assert client.get("/me", headers=carol.headers).status_code == 200


def test_role_change_takes_effect_on_the_next_request(world: World) -> None:
    client, admin = world.client, world.accounts[ADMIN].headers
    dave = make_account(world.node, "dave")
    zy3 = asset_path("zy3-nad", world.items["zy3-nad"], "data")
    assert client.get(zy3, headers=dave.headers).status_code == 403
    assert client.get("/admin/users", headers=dave.headers).status_code == 403
    assert (
        client.patch(f"/admin/users/{dave.id}", json={"role": "operator"}, headers=admin).json()["role"] == "operator"
    )
    assert client.get(zy3, headers=dave.headers).status_code == 200
    assert client.get("/admin/users", headers=dave.headers).status_code == 200
    assert client.patch(f"/admin/users/{dave.id}", json={"role": "user"}, headers=admin).status_code == 200
    assert client.get(zy3, headers=dave.headers).status_code == 403
    events = client.get("/admin/audit", params={"event": "role.change", "subject": "dave"}, headers=admin).json()
    assert [(e["detail"]["before"], e["detail"]["after"]) for e in events["events"]] == [
        ("operator", "user"),
        ("user", "operator"),
    ]


def test_a_session_cookie_reads_like_the_key(world: World) -> None:
    """The portal session is the same principal as the user's API key: every read in the table
    answers the same to user A's browser as to A's key."""
    browser = fresh_client(world.client)
    json_login(browser, "alice", world.accounts[USER].password)
    context = {"item": world.items, "user_b": world.accounts[USER_B].id, "who": "user", "nodes": world.nodes}
    wrong = []
    for row in ROWS:
        if row.method not in ("GET", "HEAD"):
            continue
        path = fill(row.path, context)
        response = browser.request(row.method, path)
        if not matches(row.expected[PRINCIPALS.index(USER)], response.status_code):
            wrong.append(f"{row.method} {path} → {response.status_code}")
    assert not wrong, wrong
